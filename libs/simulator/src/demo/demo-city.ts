import { booleanPointInPolygon, point } from '@turf/turf';
import type { Feature, FeatureCollection, Polygon } from 'geojson';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

export interface LatLon {
  lat: number;
  lon: number;
}

export interface CityZone {
  name: string;
  kind: 'business_area' | 'no_parking';
  geometry: Polygon;
}

const METRES_PER_DEGREE_LAT = 111_320;

/** Metres between two nearby points (flat, at their latitude: enough for a simulated car's step). */
export function flatDistanceM(a: LatLon, b: LatLon): number {
  const dy = (b.lat - a.lat) * METRES_PER_DEGREE_LAT;
  const dx = (b.lon - a.lon) * METRES_PER_DEGREE_LAT * Math.cos((a.lat * Math.PI) / 180);
  return Math.hypot(dx, dy);
}

/** The point `metres` along the straight line from `a` towards `b` (b itself if it is nearer). */
export function stepTowards(a: LatLon, b: LatLon, metres: number): LatLon {
  const d = flatDistanceM(a, b);
  if (d <= metres || d === 0) return { ...b };
  const f = metres / d;
  return { lat: a.lat + (b.lat - a.lat) * f, lon: a.lon + (b.lon - a.lon) * f };
}

/** Compass heading from `a` to `b`, degrees (0 north, 90 east). */
export function headingDeg(a: LatLon, b: LatLon): number {
  const dy = b.lat - a.lat;
  const dx = (b.lon - a.lon) * Math.cos((a.lat * Math.PI) / 180);
  return ((Math.atan2(dx, dy) * 180) / Math.PI + 360) % 360;
}

/**
 * The demo city: a business area and no-parking zones from a bundled GeoJSON of a real city (Berlin
 * inside the Ringbahn), with what the simulated fleet needs: parking spots and street-like routes.
 */
export class DemoCity {
  readonly name: string;
  readonly zones: CityZone[];
  private readonly area: Feature<Polygon>;
  private readonly noParking: Feature<Polygon>[];
  readonly bbox: { west: number; south: number; east: number; north: number };

  constructor(collection: FeatureCollection<Polygon, { name: string; kind: CityZone['kind'] }>) {
    this.name = (collection as { name?: string }).name ?? 'demo city';
    this.zones = collection.features.map((f) => ({
      name: f.properties.name,
      kind: f.properties.kind,
      geometry: f.geometry,
    }));
    const area = collection.features.find((f) => f.properties.kind === 'business_area');
    if (!area) throw new Error('the demo city has no business area');
    this.area = area;
    this.noParking = collection.features.filter((f) => f.properties.kind === 'no_parking');
    const ring = area.geometry.coordinates[0];
    this.bbox = {
      west: Math.min(...ring.map((p) => p[0])),
      south: Math.min(...ring.map((p) => p[1])),
      east: Math.max(...ring.map((p) => p[0])),
      north: Math.max(...ring.map((p) => p[1])),
    };
  }

  /** Berlin inside the Ringbahn (libs/simulator/src/demo/berlin.geojson). */
  static berlin(): DemoCity {
    const geojson = readFileSync(resolve(__dirname, 'berlin.geojson'), 'utf8');
    return new DemoCity(JSON.parse(geojson) as ConstructorParameters<typeof DemoCity>[0]);
  }

  inArea(p: LatLon): boolean {
    return booleanPointInPolygon(point([p.lon, p.lat]), this.area);
  }

  /** Inside the business area and outside every no-parking zone: where a trip may end. */
  parkable(p: LatLon): boolean {
    const pt = point([p.lon, p.lat]);
    return booleanPointInPolygon(pt, this.area) && !this.noParking.some((z) => booleanPointInPolygon(pt, z));
  }

  /** A random parking spot (uniform over the business area, off the no-parking zones). */
  randomSpot(random: () => number): LatLon {
    for (;;) {
      const p = {
        lat: this.bbox.south + random() * (this.bbox.north - this.bbox.south),
        lon: this.bbox.west + random() * (this.bbox.east - this.bbox.west),
      };
      if (this.parkable(p)) return p;
    }
  }

  /** A random parking spot between `minM` and `maxM` from `p` (any spot if none is found nearby). */
  spotNear(p: LatLon, minM: number, maxM: number, random: () => number): LatLon {
    for (let i = 0; i < 200; i++) {
      const d = minM + random() * (maxM - minM);
      const angle = random() * 2 * Math.PI;
      const q = {
        lat: p.lat + (d * Math.cos(angle)) / METRES_PER_DEGREE_LAT,
        lon: p.lon + (d * Math.sin(angle)) / (METRES_PER_DEGREE_LAT * Math.cos((p.lat * Math.PI) / 180)),
      };
      if (this.parkable(q)) return q;
    }
    return this.randomSpot(random);
  }

  /**
   * A street-like route from `from` to `to`: legs along the compass axes (one corner, or two for a
   * longer trip), with every corner inside the business area; a straight line when no such corner is.
   */
  route(from: LatLon, to: LatLon, random: () => number): LatLon[] {
    const corners: LatLon[][] = [[{ lat: from.lat, lon: to.lon }], [{ lat: to.lat, lon: from.lon }]];
    const mid = { lat: from.lat + (to.lat - from.lat) * (0.3 + random() * 0.4), lon: to.lon };
    corners.unshift([
      { lat: from.lat, lon: from.lon + (to.lon - from.lon) * 0.5 },
      { lat: mid.lat, lon: from.lon + (to.lon - from.lon) * 0.5 },
      { lat: mid.lat, lon: to.lon },
    ]);
    const fits = corners.filter((c) => c.every((p) => this.inArea(p)));
    const chosen = fits.length ? fits[Math.floor(random() * fits.length)] : [];
    return [...chosen, to];
  }
}
