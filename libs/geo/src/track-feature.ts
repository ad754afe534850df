import { LatLon } from './distance';

/** One stored fix of a track. */
export interface TrackPoint extends LatLon {
  /** Fix time. */
  at: Date;
}

/** A GeoJSON Feature holding a track: a LineString, or no geometry when fewer than 2 fixes. */
export interface TrackFeature<P> {
  type: 'Feature';
  geometry: { type: 'LineString'; coordinates: [number, number][] } | null;
  properties: P & { timestamps: string[] };
}

/**
 * A track as a GeoJSON Feature: `[lon, lat]` positions in the given order and one ISO 8601 timestamp
 * per position in `properties.timestamps`. A LineString needs two positions (RFC 7946), so fewer
 * fixes give `geometry: null` with their timestamps still listed.
 */
export function trackFeature<P extends object>(
  points: readonly TrackPoint[],
  properties: P,
): TrackFeature<P> {
  return {
    type: 'Feature',
    geometry:
      points.length >= 2 ? { type: 'LineString', coordinates: points.map((p) => [p.lon, p.lat]) } : null,
    properties: { ...properties, timestamps: points.map((p) => p.at.toISOString()) },
  };
}
