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
  /** `vehicle_state.version` of this read: a view of a lower version is older. */
  version: number;
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
  version: number;
  cell: number | null = null;
  /** Index of the entry in its cell's array. */
  slot = 0;
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
    this.version = car.version;
  }
}

/**
 * Grid cell size in degrees: about 280 x 170 m at 52 N, a few cars each in a dense city, so that the
 * nearest cars come from a handful of cells.
 */
const CELL_DEG = 0.0025;
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
const ROWS = Math.ceil(180 / CELL_DEG) + 2;
const COLS = Math.ceil(360 / CELL_DEG) + 2;
const cellKey = (row: number, col: number) => (row + ROWS / 2) * COLS + (col + COLS / 2);
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
  private readonly cells = new Map<number, Entry[]>();

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

  /** A car with every field (a new one, or a fresh read of a known one; an older read is ignored). */
  upsert(car: IndexedCar): void {
    const held = this.cars.get(car.id);
    if (!held) {
      this.place(new Entry(car));
      return;
    }
    if (car.version < held.version) return;
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

  /**
   * A change from the state stream (ignored when older than the view held); false when the car is not
   * known (its static fields are missing).
   */
  apply(view: VehicleView): boolean {
    const car = this.cars.get(view.id);
    if (!car) return false;
    if (view.version <= car.version) return true;
    car.version = view.version;
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

  /**
   * Bookable cars within `radiusM` of a point, nearest first, at most `limit`. Cells are visited
   * nearest first (by their flat distance to the point), gathering bookable cars inside the business
   * area, until `limit` of them are surely nearer than any car of the cells left; exact distances are
   * then computed in approximate order only until no later candidate can come closer.
   */
  query(lat: number, lon: number, radiusM: number, limit: number, nowMs: number): NearbyCar[] {
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
    /** A candidate whose approximate distance is at most this is surely within the radius. */
    const surelyInM = radiusM * (1 - FLAT_ERROR);

    const cells = this.cellsNear(lat, lon, dLat, dLon, mPerDegLat, mPerDegLon, reachM);
    const candidates: Entry[] = [];
    for (let i = 0; i < cells.length; i++) {
      for (const car of cells[i].cars) {
        if (!this.bookable(car, minFixMs)) continue;
        const dy = (car.lat! - lat) * mPerDegLat;
        const dx = (car.lon! - lon) * mPerDegLon;
        car.approxM = Math.sqrt(dx * dx + dy * dy);
        if (car.approxM <= reachM && this.inBusinessArea(car)) candidates.push(car);
      }
      // Every car of the cells left is at least the next cell's distance away (flat): stop once
      // `limit` candidates are surely nearer, even with the flat distance's error both ways, and
      // surely within the radius.
      if (candidates.length >= limit && i + 1 < cells.length) {
        const boundM = Math.min(surelyInM, (cells[i + 1].minM * (1 - FLAT_ERROR)) / (1 + FLAT_ERROR));
        let sure = 0;
        for (const car of candidates) if (car.approxM <= boundM) sure++;
        if (sure >= limit) break;
      }
    }
    candidates.sort((a, b) => a.approxM - b.approxM);
    const centre = { lat, lon };
    const found: NearbyCar[] = [];
    let worstM = Infinity;
    for (const car of candidates) {
      if (found.length >= limit && car.approxM * (1 - FLAT_ERROR) > worstM) break;
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

  /** The non-empty cells that reach within `reachM` (flat) of the point, nearest first. */
  private cellsNear(
    lat: number,
    lon: number,
    dLat: number,
    dLon: number,
    mPerDegLat: number,
    mPerDegLon: number,
    reachM: number,
  ): { cars: Entry[]; minM: number }[] {
    const near: { cars: Entry[]; minM: number }[] = [];
    const lastRow = Math.floor((lat + dLat) / CELL_DEG);
    const lastCol = Math.floor((lon + dLon) / CELL_DEG);
    for (let row = Math.floor((lat - dLat) / CELL_DEG); row <= lastRow; row++) {
      // Flat distance from the point to the cell's rectangle: 0 along an axis the point lies within.
      const south = row * CELL_DEG;
      const dy = (lat < south ? south - lat : Math.max(0, lat - south - CELL_DEG)) * mPerDegLat;
      for (let col = Math.floor((lon - dLon) / CELL_DEG); col <= lastCol; col++) {
        const cars = this.cells.get(cellKey(row, col));
        if (!cars?.length) continue;
        const west = col * CELL_DEG;
        const dx = (lon < west ? west - lon : Math.max(0, lon - west - CELL_DEG)) * mPerDegLon;
        const minM = Math.sqrt(dx * dx + dy * dy);
        if (minM <= reachM) near.push({ cars, minM });
      }
    }
    return near.sort((a, b) => a.minM - b.minM);
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

  /** Takes the entry out of its cell: the cell's last entry takes its slot. */
  private unplace(entry: Entry): void {
    const cell = entry.cell === null ? undefined : this.cells.get(entry.cell);
    if (cell) {
      const last = cell.pop()!;
      if (last !== entry) {
        cell[entry.slot] = last;
        last.slot = entry.slot;
      }
    }
    entry.cell = null;
  }

  private place(entry: Entry): void {
    if (entry.lat !== null && entry.lon !== null) {
      entry.cell = cellOf(entry.lat, entry.lon);
      let cell = this.cells.get(entry.cell);
      if (!cell) this.cells.set(entry.cell, (cell = []));
      entry.slot = cell.length;
      cell.push(entry);
    }
    this.cars.set(entry.id, entry);
  }
}
