/** Mean Earth radius in metres (IUGG), the one haversine distances use. */
export const EARTH_RADIUS_M = 6_371_008.8;

export interface LatLon {
  lat: number;
  lon: number;
}

const RAD = Math.PI / 180;

/**
 * Great-circle distance in metres between two WGS84 points (haversine on the mean sphere; within
 * 0.5 % of the ellipsoid, which is enough for plausibility checks; PostGIS does the exact figures).
 */
export function haversineDistanceM(a: LatLon, b: LatLon): number {
  const dLat = (b.lat - a.lat) * RAD;
  const dLon = (b.lon - a.lon) * RAD;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * RAD) * Math.cos(b.lat * RAD) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
}
