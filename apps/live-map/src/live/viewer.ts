import type { VehicleState } from '@fleet/domain';
import { Bbox, Before, inBbox, LiveCar } from '../fleet/live-fleet';

export interface Updates {
  cars: LiveCar[];
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

  /**
   * Notes a changed car (it was at `before`) if the client may now see it or holds it; true when
   * noted. A car the client holds and that is not pending yet has not moved since it was sent, so it
   * was inside the viewport before this change: the numeric test spares most viewers near a change
   * the lookup by id.
   */
  note(car: LiveCar, before: Before): boolean {
    const heldBefore =
      before.lat !== null &&
      before.lon !== null &&
      this.bbox !== null &&
      inBbox(this.bbox, before.lat, before.lon) &&
      this.shown.has(car.id);
    if (!heldBefore && !this.matches(car)) return false;
    this.pending.set(car.id, car);
    return true;
  }

  /** A new viewport (and filter): the client gets these cars as its snapshot; nothing is pending. */
  reset(bbox: Bbox, states: ReadonlySet<VehicleState> | null, snapshot: readonly LiveCar[]): void {
    this.bbox = bbox;
    this.states = states;
    this.pending.clear();
    this.shown.clear();
    for (const car of snapshot) this.shown.add(car.id);
  }

  /**
   * What changed for the client since its last updates: the pending cars that match (in their
   * latest state) and those it holds that left the viewport or the filter; null when nothing did.
   */
  takeUpdates(): Updates | null {
    const cars: LiveCar[] = [];
    const removed: string[] = [];
    for (const car of this.pending.values()) {
      if (this.matches(car)) {
        cars.push(car);
        this.shown.add(car.id);
      } else if (this.shown.delete(car.id)) {
        removed.push(car.id);
      }
    }
    this.pending.clear();
    return cars.length || removed.length ? { cars, removed } : null;
  }
}

/**
 * Grid cell size of the viewer index, degrees (about 1.1 x 0.7 km at 52 N): a street-level viewport
 * covers a few cells, and each change is checked against the few dozen viewers of its cell.
 */
const CELL_DEG = 0.01;
/** Viewports over more cells than this (a whole region, the world) are checked for every change. */
const MAX_CELLS = 1600;
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

  /**
   * Calls `visit` for each viewer whose viewport may hold either point (a car's old and new position;
   * a viewer may be visited twice, when its viewport spans both cells).
   */
  around(
    a: { lat: number | null; lon: number | null },
    b: { lat: number; lon: number } | null,
    visit: (viewer: Viewer) => void,
  ): void {
    const cellA = a.lat === null || a.lon === null ? null : cellOf(a.lat, a.lon);
    const cellB = b === null ? null : cellOf(b.lat, b.lon);
    if (cellA !== null) this.cells.get(cellA)?.forEach(visit);
    if (cellB !== null && cellB !== cellA) this.cells.get(cellB)?.forEach(visit);
  }

  /** Calls `visit` for each viewer with a viewport too wide for the grid. */
  eachWide(visit: (viewer: Viewer) => void): void {
    this.wide.forEach(visit);
  }
}
