import type { VehicleState } from '@fleet/domain';
import { Bbox, inBbox, LiveCar, LiveVehicle } from '../fleet/live-fleet';

export interface Updates {
  vehicles: LiveVehicle[];
  removed: string[];
}

/**
 * One socket's view of the fleet: its viewport and filter, the cars its client holds (`shown`), and
 * the cars that changed since its last `updates`, each only in its latest state, so a slow client
 * costs at most one entry per car, never a queue.
 */
export class Viewer {
  bbox: Bbox | null = null;
  states: ReadonlySet<VehicleState> | null = null;
  /** Ids of the cars the client holds: from the last snapshot and updates, minus those removed. */
  readonly shown = new Set<string>();
  /** Cars changed since the last updates, by id. */
  readonly pending = new Map<string, LiveCar>();
  lastSentAtMs = 0;
  timer: NodeJS.Timeout | null = null;

  constructor(readonly id: string) {}

  matches(car: LiveCar): boolean {
    const v = car.view;
    return (
      v !== null &&
      this.bbox !== null &&
      inBbox(this.bbox, v.lat, v.lon) &&
      (this.states === null || this.states.has(car.state))
    );
  }

  /** Notes a changed car if the client holds it or may now see it; true when noted. */
  note(car: LiveCar): boolean {
    if (!this.shown.has(car.id) && !this.matches(car)) return false;
    this.pending.set(car.id, car);
    return true;
  }

  /** A new viewport (and filter): the client gets these cars as its snapshot; nothing is pending. */
  reset(bbox: Bbox, states: ReadonlySet<VehicleState> | null, snapshot: readonly LiveVehicle[]): void {
    this.bbox = bbox;
    this.states = states;
    this.pending.clear();
    this.shown.clear();
    for (const v of snapshot) this.shown.add(v.id);
  }

  /**
   * What changed for the client since its last updates: the pending cars that match (in their
   * latest state) and those it holds that left the viewport or the filter; null when nothing did.
   */
  takeUpdates(): Updates | null {
    const vehicles: LiveVehicle[] = [];
    const removed: string[] = [];
    for (const car of this.pending.values()) {
      if (this.matches(car)) {
        vehicles.push(car.view!);
        this.shown.add(car.id);
      } else if (this.shown.delete(car.id)) {
        removed.push(car.id);
      }
    }
    this.pending.clear();
    return vehicles.length || removed.length ? { vehicles, removed } : null;
  }
}

/** Grid cell size of the viewer index, degrees (about 2.2 x 1.4 km at 52 N). */
const CELL_DEG = 0.02;
/** Viewports over more cells than this (a country, the world) are checked for every change. */
const MAX_CELLS = 400;
const COLS = Math.ceil(360 / CELL_DEG) + 2;
const ROWS = Math.ceil(180 / CELL_DEG) + 2;
const cellKey = (row: number, col: number) => (row + ROWS / 2) * COLS + (col + COLS / 2);
const cellOf = (lat: number, lon: number) => cellKey(Math.floor(lat / CELL_DEG), Math.floor(lon / CELL_DEG));

/**
 * Viewers by the grid cells their viewports overlap, so that a car's change is routed only to the
 * viewers around its old and new positions, not to every socket.
 */
export class ViewerGrid {
  private readonly cells = new Map<number, Set<Viewer>>();
  private readonly wide = new Set<Viewer>();
  private readonly placed = new Map<Viewer, number[] | 'wide'>();

  place(viewer: Viewer, bbox: Bbox): void {
    this.remove(viewer);
    const [west, south, east, north] = bbox;
    const [r0, r1] = [Math.floor(south / CELL_DEG), Math.floor(north / CELL_DEG)];
    const [c0, c1] = [Math.floor(west / CELL_DEG), Math.floor(east / CELL_DEG)];
    if ((r1 - r0 + 1) * (c1 - c0 + 1) > MAX_CELLS) {
      this.wide.add(viewer);
      this.placed.set(viewer, 'wide');
      return;
    }
    const keys: number[] = [];
    for (let row = r0; row <= r1; row++) {
      for (let col = c0; col <= c1; col++) {
        const key = cellKey(row, col);
        let set = this.cells.get(key);
        if (!set) this.cells.set(key, (set = new Set()));
        set.add(viewer);
        keys.push(key);
      }
    }
    this.placed.set(viewer, keys);
  }

  remove(viewer: Viewer): void {
    const keys = this.placed.get(viewer);
    if (keys === undefined) return;
    this.placed.delete(viewer);
    if (keys === 'wide') {
      this.wide.delete(viewer);
      return;
    }
    for (const key of keys) {
      const set = this.cells.get(key)!;
      set.delete(viewer);
      if (set.size === 0) this.cells.delete(key);
    }
  }

  /** Calls `visit` for each viewer whose viewport may hold a point (maybe twice for two points). */
  around(lat: number, lon: number, visit: (viewer: Viewer) => void): void {
    this.cells.get(cellOf(lat, lon))?.forEach(visit);
  }

  /** Calls `visit` for each viewer with a viewport too wide for the grid. */
  eachWide(visit: (viewer: Viewer) => void): void {
    this.wide.forEach(visit);
  }
}
