import { geodesicDistanceM } from '@fleet/geo';
import type { VehicleState, VehicleView } from '@fleet/domain';

/** A car as the nearby search needs it. */
export interface IndexedCar {
  id: string;
  plate: string;
  model: string;
  propulsion: 'combustion' | 'electric';
  operationalStatus: string;
  lat: number | null;
  lon: number | null;
  state: VehicleState;
  online: boolean;
  /** Fix time, epoch ms. */
  fixAtMs: number | null;
  fuelPct: number | null;
  batteryPct: number | null;
  rangeKm: number | null;
}

/** One answer of the nearby search (CONTRACT.md 2.2), before optional fields are dropped. */
export interface NearbyCar {
  id: string;
  plate: string;
  model: string;
  propulsion: string;
  lat: number;
  lon: number;
  distanceM: number;
  fuelPct: number | null;
  batteryPct: number | null;
  rangeKm: number | null;
}

/** Whether a point (WGS84 degrees) lies in a business area. */
export type AreaTest = (lat: number, lon: number) => boolean;

export interface BookableRules {
  minEnergyPct: number;
  maxFixAgeS: number;
}

/** A held car. A class, so that every entry has one shape and the hot loop stays monomorphic. */
class Entry implements IndexedCar {
  id: string;
  plate: string;
  model: string;
  propulsion: 'combustion' | 'electric';
  operationalStatus: string;
  lat: number | null;
  lon: number | null;
  state: VehicleState;
  online: boolean;
  fixAtMs: number | null;
  fuelPct: number | null;
  batteryPct: number | null;
  rangeKm: number | null;
  cell: number | null = null;
  /** Scratch: the approximate distance to the point of the query under way. */
  approxM = 0;
  /** Cached business-area test of the current position; undefined until asked. */
  inArea: boolean | undefined = undefined;

  constructor(car: IndexedCar) {
    this.id = car.id;
    this.plate = car.plate;
    this.model = car.model;
    this.propulsion = car.propulsion;
    this.operationalStatus = car.operationalStatus;
    this.lat = car.lat;
    this.lon = car.lon;
    this.state = car.state;
    this.online = car.online;
    this.fixAtMs = car.fixAtMs;
    this.fuelPct = car.fuelPct;
    this.batteryPct = car.batteryPct;
    this.rangeKm = car.rangeKm;
  }
}

/** Grid cell size in degrees: about 1.1 x 0.7 km at 52 N. */
const CELL_DEG = 0.01;
/**
 * Most relative error of the local flat distance (the ellipsoid's radii of curvature at the query's
 * latitude) against the ellipsoidal one within 5 km: the scale's change across the box, under 0.1 %.
 */
const FLAT_ERROR = 0.002;
const WGS84_A = 6_378_137;
const WGS84_E2 = 0.00669437999014;
const RAD = Math.PI / 180;
const M_PER_DEG_LAT = 110_574; // the least there is (at the equator), so the box is never too small

/** A cell's number from its row (latitude) and column (longitude) indexes. */
const cellKey = (row: number, col: number) => (row + 10_000) * 40_000 + (col + 20_000);
const cellOf = (lat: number, lon: number) => cellKey(Math.floor(lat / CELL_DEG), Math.floor(lon / CELL_DEG));

/**
 * Bookable cars near a point, from memory: a grid of cells over every car's latest position, the
 * bookable rule of `bookableCondition` (state available, online, in service, fresh fix, enough
 * energy, inside a business area) evaluated at query time, ellipsoidal distances (GeographicLib, as
 * PostGIS). Fed with the whole fleet at start and on resync, and with each change of the state
 * stream between them. Not for cars across the antimeridian or within a radius of a pole.
 */
export class NearbyIndex {
  private readonly cars = new Map<string, Entry>();
  private readonly cells = new Map<number, Set<Entry>>();

  constructor(
    private readonly rules: BookableRules,
    private inArea: AreaTest,
  ) {}

  get size(): number {
    return this.cars.size;
  }

  /** The business areas changed: every car's area test is made again when next asked. */
  setAreaTest(inArea: AreaTest): void {
    this.inArea = inArea;
    for (const car of this.cars.values()) car.inArea = undefined;
  }

  /** A car with every field (a new one, or a fresh read of a known one). */
  upsert(car: IndexedCar): void {
    const held = this.cars.get(car.id);
    if (!held) {
      this.place(new Entry(car));
      return;
    }
    const moved = held.lat !== car.lat || held.lon !== car.lon;
    if (moved) this.unplace(held);
    Object.assign(held, car);
    if (moved) {
      held.inArea = undefined;
      this.place(held);
    }
  }

  /** Drops the cars not in `ids` (deleted from the fleet). */
  retainOnly(ids: ReadonlySet<string>): void {
    for (const [id, car] of this.cars) {
      if (ids.has(id)) continue;
      this.unplace(car);
      this.cars.delete(id);
    }
  }

  /** A change from the state stream; false when the car is not known (its static fields are missing). */
  apply(view: VehicleView): boolean {
    const car = this.cars.get(view.id);
    if (!car) return false;
    const moved = car.lat !== view.lat || car.lon !== view.lon;
    if (moved) this.unplace(car);
    car.lat = view.lat;
    car.lon = view.lon;
    car.state = view.state;
    car.online = view.online;
    car.fixAtMs = view.fixAt === null ? null : Date.parse(view.fixAt);
    car.fuelPct = view.fuelPct;
    car.batteryPct = view.batteryPct;
    if (moved) {
      car.inArea = undefined;
      this.place(car);
    }
    return true;
  }

  /** Bookable cars within `radiusM` of a point, nearest first, at most `limit`. */
  query(lat: number, lon: number, radiusM: number, limit: number, nowMs: number): NearbyCar[] {
    const centre = { lat, lon };
    const dLat = (radiusM * (1 + FLAT_ERROR)) / M_PER_DEG_LAT;
    const cosLat = Math.max(0.01, Math.cos(((Math.abs(lat) + dLat) * Math.PI) / 180));
    const dLon = dLat / cosLat;
    // Metres per degree at this latitude, from the meridional and prime-vertical radii.
    const sinLat = Math.sin(lat * RAD);
    const w = 1 - WGS84_E2 * sinLat * sinLat;
    const mPerDegLat = ((WGS84_A * (1 - WGS84_E2)) / (w * Math.sqrt(w))) * RAD;
    const mPerDegLon = (WGS84_A / Math.sqrt(w)) * Math.cos(lat * RAD) * RAD;
    const minFixMs = nowMs - this.rules.maxFixAgeS * 1000;
    const reachM = radiusM * (1 + FLAT_ERROR);
    const [south, north, west, east] = [lat - dLat, lat + dLat, lon - dLon, lon + dLon];
    const candidates: Entry[] = [];
    for (let row = Math.floor(south / CELL_DEG); row <= Math.floor(north / CELL_DEG); row++) {
      for (let col = Math.floor(west / CELL_DEG); col <= Math.floor(east / CELL_DEG); col++) {
        const cell = this.cells.get(cellKey(row, col));
        if (!cell) continue;
        for (const car of cell) {
          const cLat = car.lat!;
          const cLon = car.lon!;
          if (cLat < south || cLat > north || cLon < west || cLon > east || !this.bookable(car, minFixMs))
            continue;
          const dy = (cLat - lat) * mPerDegLat;
          const dx = (cLon - lon) * mPerDegLon;
          car.approxM = Math.sqrt(dx * dx + dy * dy);
          if (car.approxM <= reachM) candidates.push(car);
        }
      }
    }
    candidates.sort((a, b) => a.approxM - b.approxM);
    // Exact distances in approximate order, until no later candidate can come closer than the
    // `limit`-th found; then only the business-area test (cached) is left for those kept.
    const found: NearbyCar[] = [];
    let worstM = Infinity;
    for (const car of candidates) {
      if (found.length >= limit && car.approxM * (1 - FLAT_ERROR) > worstM) break;
      if (!this.inBusinessArea(car)) continue;
      const distanceM = geodesicDistanceM(centre, car as { lat: number; lon: number });
      if (distanceM > radiusM) continue;
      found.push({
        id: car.id,
        plate: car.plate,
        model: car.model,
        propulsion: car.propulsion,
        lat: car.lat!,
        lon: car.lon!,
        distanceM,
        fuelPct: car.fuelPct,
        batteryPct: car.batteryPct,
        rangeKm: car.rangeKm,
      });
      if (found.length >= limit) {
        found.sort((a, b) => a.distanceM - b.distanceM);
        found.length = limit;
        worstM = found[limit - 1].distanceM;
      }
    }
    return found.sort((a, b) => a.distanceM - b.distanceM);
  }

  private bookable(car: Entry, minFixMs: number): boolean {
    const energy = car.propulsion === 'electric' ? car.batteryPct : car.fuelPct;
    return (
      car.state === 'available' &&
      car.online &&
      car.operationalStatus === 'active' &&
      car.lat !== null &&
      car.fixAtMs !== null &&
      car.fixAtMs > minFixMs &&
      energy !== null &&
      energy >= this.rules.minEnergyPct
    );
  }

  private inBusinessArea(car: Entry): boolean {
    car.inArea ??= this.inArea(car.lat!, car.lon!);
    return car.inArea;
  }

  private unplace(entry: Entry): void {
    if (entry.cell) this.cells.get(entry.cell)?.delete(entry);
    entry.cell = null;
  }

  private place(entry: Entry): void {
    if (entry.lat !== null && entry.lon !== null) {
      entry.cell = cellOf(entry.lat, entry.lon);
      let cell = this.cells.get(entry.cell);
      if (!cell) this.cells.set(entry.cell, (cell = new Set()));
      cell.add(entry);
    }
    this.cars.set(entry.id, entry);
  }
}
