import type { VehicleView } from '@fleet/domain';
import { Bbox, LiveFleet } from '../fleet/live-fleet';
import { Viewer, ViewerGrid } from './viewer';

let version = 0;
const view = (
  id: string,
  lat: number,
  lon: number,
  state: VehicleView['state'] = 'available',
): VehicleView => ({
  id,
  lat,
  lon,
  headingDeg: null,
  speedKmh: null,
  fuelPct: 50,
  batteryPct: null,
  locked: true,
  online: true,
  state,
  fixAt: null,
  updatedAt: '2026-11-21T10:00:00.000Z',
  version: ++version,
});

const MITTE: Bbox = [13.38, 52.51, 13.42, 52.53];

function watch(fleet: LiveFleet, bbox: Bbox, states: VehicleView['state'][] | null = null) {
  const viewer = new Viewer('socket-1');
  const s = states && new Set(states);
  viewer.reset(bbox, s, fleet.inBox(bbox, s));
  return viewer;
}

describe('Viewer', () => {
  it('coalesces a car that changed many times into its latest state', () => {
    const fleet = new LiveFleet();
    fleet.apply(view('a', 52.52, 13.4));
    const viewer = watch(fleet, MITTE);
    for (let i = 1; i <= 50; i++) {
      const before = fleet.apply(view('a', 52.52, 13.4 + i * 0.0001))!;
      viewer.note(fleet.get('a')!, before);
    }
    expect(viewer.pending.size).toBe(1);
    const updates = viewer.takeUpdates()!;
    expect(updates.cars).toHaveLength(1);
    expect(updates.cars[0].view!.lon).toBeCloseTo(13.405, 6);
    expect(JSON.parse(updates.cars[0].json)).toEqual(updates.cars[0].view);
    expect(updates.removed).toEqual([]);
    expect(viewer.takeUpdates()).toBeNull();
  });

  it('removes a car that leaves the viewport or the filter, and adds one that enters', () => {
    const fleet = new LiveFleet();
    fleet.apply(view('a', 52.52, 13.4));
    fleet.apply(view('b', 52.52, 13.41));
    fleet.apply(view('c', 52.6, 13.6));
    const viewer = watch(fleet, MITTE, ['available']);
    expect([...viewer.shown].sort()).toEqual(['a', 'b']);
    const moves = [
      view('a', 52.6, 13.6), // leaves
      view('b', 52.52, 13.41, 'reserved'), // stops matching
      view('c', 52.52, 13.39), // enters
    ];
    for (const v of moves) expect(viewer.note(fleet.get(v.id)!, fleet.apply(v)!)).toBe(true);
    // A car that left, moving further away while its removal is pending, needs no new note.
    expect(viewer.note(fleet.get('a')!, fleet.apply(view('a', 52.61, 13.6))!)).toBe(false);
    const updates = viewer.takeUpdates()!;
    expect(updates.cars.map((car) => car.id)).toEqual(['c']);
    expect(updates.removed.sort()).toEqual(['a', 'b']);
    expect([...viewer.shown]).toEqual(['c']);
  });

  it('does not note a car it neither holds nor sees', () => {
    const fleet = new LiveFleet();
    fleet.apply(view('far', 52.6, 13.6));
    const viewer = watch(fleet, MITTE);
    const before = fleet.apply(view('far', 52.61, 13.6))!;
    expect(viewer.note(fleet.get('far')!, before)).toBe(false);
    expect(viewer.takeUpdates()).toBeNull();
  });
});

describe('ViewerGrid', () => {
  it('routes a point to the viewers whose viewports may hold it, and forgets a moved viewport', () => {
    const grid = new ViewerGrid();
    const mitte = new Viewer('mitte');
    const spandau = new Viewer('spandau');
    const world = new Viewer('world');
    grid.place(mitte, MITTE);
    grid.place(spandau, [13.15, 52.5, 13.25, 52.56]);
    grid.place(world, [-180, -90, 180, 90]);
    const around = (lat: number, lon: number) => {
      const seen: string[] = [];
      grid.around({ lat, lon }, null, (v) => seen.push(v.id));
      return seen;
    };
    expect(around(52.52, 13.4)).toEqual(['mitte']);
    expect(around(52.53, 13.2)).toEqual(['spandau']);
    expect(around(48.1, 11.6)).toEqual([]);
    const wide: string[] = [];
    grid.eachWide((v) => wide.push(v.id));
    expect(wide).toEqual(['world']);
    grid.place(mitte, [13.15, 52.5, 13.25, 52.56]);
    expect(around(52.52, 13.4)).toEqual([]);
    expect(around(52.53, 13.2).sort()).toEqual(['mitte', 'spandau']);
    grid.remove(spandau);
    expect(around(52.53, 13.2)).toEqual(['mitte']);
    // A car moving from Spandau to Mitte: the viewers of both places, each cell once.
    grid.place(spandau, [13.15, 52.5, 13.25, 52.56]);
    grid.place(mitte, MITTE);
    const both: string[] = [];
    grid.around({ lat: 52.53, lon: 13.2 }, { lat: 52.52, lon: 13.4 }, (v) => both.push(v.id));
    expect(both.sort()).toEqual(['mitte', 'spandau']);
    const same: string[] = [];
    grid.around({ lat: 52.52, lon: 13.4 }, { lat: 52.52001, lon: 13.40001 }, (v) => same.push(v.id));
    expect(same).toEqual(['mitte']);
  });
});
