import { kinks, polygon } from '@turf/turf';

type Position = number[];
export type MultiPolygonCoordinates = Position[][][];

/** Why a zone geometry is refused, or the geometry as a MultiPolygon's coordinates. */
export type ZoneGeometryResult =
  { ok: true; coordinates: MultiPolygonCoordinates } | { ok: false; problems: string[] };

function ringProblems(ring: unknown, where: string): string[] {
  if (!Array.isArray(ring)) return [`${where} is not an array of positions`];
  const problems: string[] = [];
  ring.forEach((p: unknown, i) => {
    const ok =
      Array.isArray(p) &&
      (p.length === 2 || p.length === 3) &&
      p.every((n) => typeof n === 'number' && Number.isFinite(n)) &&
      Math.abs(p[0] as number) <= 180 &&
      Math.abs(p[1] as number) <= 90;
    if (!ok) problems.push(`${where} position ${i} is not [lon, lat] within -180..180, -90..90`);
  });
  if (problems.length) return problems;
  const positions = ring as Position[];
  if (positions.length < 4) return [`${where} has ${positions.length} positions; a ring needs at least 4`];
  const [first, last] = [positions[0], positions[positions.length - 1]];
  if (first[0] !== last[0] || first[1] !== last[1])
    return [`${where} is not closed (first and last position differ)`];
  return [];
}

/**
 * Validates a zone's GeoJSON geometry: a Polygon or MultiPolygon whose rings are closed, have at
 * least 4 positions of valid [lon, lat], and do not cross themselves or each other (turf `kinks`).
 */
export function validateZoneGeometry(geometry: unknown): ZoneGeometryResult {
  const g = geometry as { type?: unknown; coordinates?: unknown } | null;
  if (typeof g !== 'object' || g === null)
    return { ok: false, problems: ['geometry must be a GeoJSON object'] };
  if (g.type !== 'Polygon' && g.type !== 'MultiPolygon') {
    return { ok: false, problems: ['geometry type must be Polygon or MultiPolygon'] };
  }
  if (!Array.isArray(g.coordinates) || g.coordinates.length === 0) {
    return { ok: false, problems: ['geometry coordinates must be a non-empty array'] };
  }
  const polygons = (g.type === 'Polygon' ? [g.coordinates] : g.coordinates) as unknown[];
  const problems: string[] = [];
  polygons.forEach((rings, pi) => {
    const name = g.type === 'Polygon' ? 'polygon' : `polygon ${pi}`;
    if (!Array.isArray(rings) || rings.length === 0) {
      problems.push(`${name} must be a non-empty array of rings`);
      return;
    }
    const own = rings.flatMap((ring, ri) => ringProblems(ring, `${name} ring ${ri}`));
    problems.push(...own);
    if (own.length === 0) {
      const crossings = kinks(polygon(rings as Position[][])).features.length;
      if (crossings > 0) problems.push(`${name} intersects itself (${crossings} crossing point(s))`);
    }
  });
  return problems.length
    ? { ok: false, problems }
    : { ok: true, coordinates: polygons as MultiPolygonCoordinates };
}
