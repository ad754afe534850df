import { LatLon } from './distance';

/** `[west, south, east, north]` in WGS84 degrees. */
export type BBox = [number, number, number, number];

/** True when the point lies inside the box (edges included); boxes crossing the antimeridian work. */
export function bboxContains(bbox: BBox, point: LatLon): boolean {
  const [west, south, east, north] = bbox;
  if (point.lat < south || point.lat > north) return false;
  return west <= east ? point.lon >= west && point.lon <= east : point.lon >= west || point.lon <= east;
}
