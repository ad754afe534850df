import { Geodesic } from 'geographiclib-geodesic';
import { LatLon } from './distance';

/**
 * Distance in metres between two WGS84 points on the ellipsoid (Karney's geodesic, GeographicLib: the
 * algorithm PostGIS uses for `ST_Distance(geography, geography, true)` through PROJ).
 */
export function geodesicDistanceM(a: LatLon, b: LatLon): number {
  return Geodesic.WGS84.Inverse(a.lat, a.lon, b.lat, b.lon, Geodesic.DISTANCE).s12 ?? NaN;
}
