import { Geodesic } from 'geographiclib-geodesic';
import { LatLon } from './distance';

const WGS84_A = 6_378_137;
const WGS84_F = 1 / 298.257223563;
const WGS84_B = WGS84_A * (1 - WGS84_F);
const RAD = Math.PI / 180;

/**
 * Distance in metres between two WGS84 points on the ellipsoid: the distance PostGIS gives for
 * `ST_Distance(geography, geography, true)` (Karney's geodesic, GeographicLib, through PROJ).
 *
 * Computed with Vincenty's inverse formula, which allocates nothing (the nearby search runs it about
 * twenty times a request) and agrees with Karney's algorithm to a few micrometres for the
 * distances of a city (see geodesic-distance.spec.ts). For nearly antipodal points, where Vincenty's
 * iteration may not converge, GeographicLib answers.
 */
export function geodesicDistanceM(a: LatLon, b: LatLon): number {
  const u1 = Math.atan((1 - WGS84_F) * Math.tan(a.lat * RAD));
  const u2 = Math.atan((1 - WGS84_F) * Math.tan(b.lat * RAD));
  const sinU1 = Math.sin(u1);
  const cosU1 = Math.cos(u1);
  const sinU2 = Math.sin(u2);
  const cosU2 = Math.cos(u2);
  const l = (b.lon - a.lon) * RAD;
  let lambda = l;
  for (let i = 0; i < 100; i++) {
    const sinLambda = Math.sin(lambda);
    const cosLambda = Math.cos(lambda);
    const x = cosU2 * sinLambda;
    const y = cosU1 * sinU2 - sinU1 * cosU2 * cosLambda;
    const sinSigma = Math.sqrt(x * x + y * y);
    if (sinSigma === 0) return 0; // the same point
    const cosSigma = sinU1 * sinU2 + cosU1 * cosU2 * cosLambda;
    const sigma = Math.atan2(sinSigma, cosSigma);
    const sinAlpha = (cosU1 * cosU2 * sinLambda) / sinSigma;
    const cos2Alpha = 1 - sinAlpha * sinAlpha;
    // On the equator (cos2Alpha 0) the term vanishes.
    const cos2SigmaM = cos2Alpha === 0 ? 0 : cosSigma - (2 * sinU1 * sinU2) / cos2Alpha;
    const c = (WGS84_F / 16) * cos2Alpha * (4 + WGS84_F * (4 - 3 * cos2Alpha));
    const previous = lambda;
    lambda =
      l +
      (1 - c) *
        WGS84_F *
        sinAlpha *
        (sigma + c * sinSigma * (cos2SigmaM + c * cosSigma * (-1 + 2 * cos2SigmaM * cos2SigmaM)));
    if (Math.abs(lambda - previous) < 1e-12) {
      const uu = (cos2Alpha * (WGS84_A * WGS84_A - WGS84_B * WGS84_B)) / (WGS84_B * WGS84_B);
      const bigA = 1 + (uu / 16384) * (4096 + uu * (-768 + uu * (320 - 175 * uu)));
      const bigB = (uu / 1024) * (256 + uu * (-128 + uu * (74 - 47 * uu)));
      const c2 = cos2SigmaM * cos2SigmaM;
      const deltaSigma =
        bigB *
        sinSigma *
        (cos2SigmaM +
          (bigB / 4) *
            (cosSigma * (-1 + 2 * c2) -
              (bigB / 6) * cos2SigmaM * (-3 + 4 * sinSigma * sinSigma) * (-3 + 4 * c2)));
      return WGS84_B * bigA * (sigma - deltaSigma);
    }
  }
  return Geodesic.WGS84.Inverse(a.lat, a.lon, b.lat, b.lon, Geodesic.DISTANCE).s12 ?? NaN;
}
