import { VEHICLE_STATES, VehicleState, VehicleView } from '@fleet/domain';

/**
 * A car as the live map sends it (CONTRACT.md 3): optional fields are left out when unknown. Beyond
 * the contract's fields, `online` and `fixAt` (when the position was measured, ISO 8601) tell the
 * operator whether the car is reachable and how old its position is.
 */
export interface LiveVehicle {
  id: string;
  lat: number;
  lon: number;
  heading?: number;
  speedKmh?: number;
  state: VehicleState;
  fuelPct?: number;
  batteryPct?: number;
  locked: boolean | null;
  online: boolean;
  fixAt?: string;
  updatedAt: string;
}

/** [west, south, east, north] in degrees. */
export type Bbox = [number, number, number, number];

export interface FleetStats {
  total: number;
  byState: Record<VehicleState, number>;
}

/** A held car. */
export class LiveCar {
  /** Its view for the sockets, or null while it has no position. */
  view: LiveVehicle | null = null;
  state!: VehicleState;
  /** The version of the view held (`vehicle_state.version`); -1 before the first. */
  version = -1;
  cell: number | null = null;
  private encoded: string | null = null;

  constructor(readonly id: string) {}

  /** The view's JSON, made once per change however many sockets receive it. */
  get json(): string {
    this.encoded ??= JSON.stringify(this.view);
    return this.encoded;
  }

  /** A new view: its JSON is made again when next asked. */
  setView(view: LiveVehicle | null): void {
    this.view = view;
    this.encoded = null;
  }
}

/** Where a car was before a change: the viewers that may show it are found from there. */
export interface Before {
  lat: number | null;
  lon: number | null;
}

/** Grid cell size of the car index, degrees: about 1.1 x 0.7 km at 52 N. */
const CELL_DEG = 0.01;
const COLS = Math.ceil(360 / CELL_DEG) + 2;
const ROWS = Math.ceil(180 / CELL_DEG) + 2;
const cellKey = (row: number, col: number) => (row + ROWS / 2) * COLS + (col + COLS / 2);

export function inBbox(bbox: Bbox, lat: number, lon: number): boolean {
  return lon >= bbox[0] && lat >= bbox[1] && lon <= bbox[2] && lat <= bbox[3];
}

/** The socket view of a state-stream view; null without a position. */
export function toLiveVehicle(v: VehicleView): LiveVehicle | null {
  if (v.lat === null || v.lon === null) return null;
  const live: LiveVehicle = {
    id: v.id,
    lat: v.lat,
    lon: v.lon,
    state: v.state,
    locked: v.locked,
    online: v.online,
    updatedAt: v.updatedAt,
  };
  if (v.headingDeg !== null) live.heading = v.headingDeg;
  if (v.speedKmh !== null) live.speedKmh = v.speedKmh;
  if (v.fuelPct !== null) live.fuelPct = v.fuelPct;
  if (v.batteryPct !== null) live.batteryPct = v.batteryPct;
  if (v.fixAt !== null) live.fixAt = v.fixAt;
  return live;
}

/**
 * The latest view of every car, in memory, with a grid over positions for viewport queries and
 * counts by state kept as changes come. Fed by the state stream and the database; a view older
 * than the one held (by version) is ignored, so the order views arrive in does not matter.
 */
export class LiveFleet {
  private readonly cars = new Map<string, LiveCar>();
  private readonly cells = new Map<number, Set<LiveCar>>();
  private readonly counts = Object.fromEntries(VEHICLE_STATES.map((s) => [s, 0])) as Record<
    VehicleState,
    number
  >;

  get size(): number {
    return this.cars.size;
  }

  get(id: string): LiveCar | undefined {
    return this.cars.get(id);
  }

  /**
   * Applies a car's view; returns where it was before, or null when the view is not newer (by
   * version) than the one held.
   */
  apply(v: VehicleView): Before | null {
    let car = this.cars.get(v.id);
    if (car && v.version <= car.version) return null;
    const before: Before = { lat: car?.view?.lat ?? null, lon: car?.view?.lon ?? null };
    if (!car) {
      car = new LiveCar(v.id);
      this.cars.set(v.id, car);
    } else {
      this.counts[car.state]--;
    }
    car.state = v.state;
    this.counts[car.state]++;
    car.version = v.version;
    car.setView(toLiveVehicle(v));
    const cell = car.view
      ? cellKey(Math.floor(car.view.lat / CELL_DEG), Math.floor(car.view.lon / CELL_DEG))
      : null;
    if (cell !== car.cell) {
      if (car.cell !== null) this.cells.get(car.cell)?.delete(car);
      if (cell !== null) {
        let set = this.cells.get(cell);
        if (!set) this.cells.set(cell, (set = new Set()));
        set.add(car);
      }
      car.cell = cell;
    }
    return before;
  }

  /** The cars inside the box (edges included) whose state is one of `states` (any when null). */
  inBox(bbox: Bbox, states: ReadonlySet<VehicleState> | null): LiveCar[] {
    const found: LiveCar[] = [];
    const [west, south, east, north] = bbox;
    const rows = [Math.floor(south / CELL_DEG), Math.floor(north / CELL_DEG)];
    const cols = [Math.floor(west / CELL_DEG), Math.floor(east / CELL_DEG)];
    const collect = (car: LiveCar) => {
      const v = car.view;
      if (v && inBbox(bbox, v.lat, v.lon) && (!states || states.has(car.state))) found.push(car);
    };
    // A box wider than the fleet's cells: walking every car is cheaper than every empty cell.
    if ((rows[1] - rows[0] + 1) * (cols[1] - cols[0] + 1) > this.cells.size) {
      for (const car of this.cars.values()) collect(car);
      return found;
    }
    for (let row = rows[0]; row <= rows[1]; row++) {
      for (let col = cols[0]; col <= cols[1]; col++) {
        const cell = this.cells.get(cellKey(row, col));
        if (cell) for (const car of cell) collect(car);
      }
    }
    return found;
  }

  stats(): FleetStats {
    return { total: this.cars.size, byState: { ...this.counts } };
  }
}
