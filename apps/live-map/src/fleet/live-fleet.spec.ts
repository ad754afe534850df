import type { VehicleView } from '@fleet/domain';
import { LiveFleet, toLiveVehicle } from './live-fleet';

const view = (over: Partial<VehicleView> = {}): VehicleView => ({
  id: 'car-1',
  lat: 52.52,
  lon: 13.405,
  headingDeg: 90,
  speedKmh: 0,
  fuelPct: null,
  batteryPct: 80,
  locked: true,
  online: true,
  state: 'available',
  fixAt: '2026-11-21T10:00:00.000Z',
  updatedAt: '2026-11-21T10:00:01.000Z',
  version: 1,
  ...over,
});

describe('LiveFleet', () => {
  it('sends the contract view: unknown optional fields left out, heading named as in the contract', () => {
    expect(toLiveVehicle(view({ speedKmh: null, headingDeg: null }))).toEqual({
      id: 'car-1',
      lat: 52.52,
      lon: 13.405,
      state: 'available',
      batteryPct: 80,
      locked: true,
      online: true,
      fixAt: '2026-11-21T10:00:00.000Z',
      updatedAt: '2026-11-21T10:00:01.000Z',
    });
    expect(toLiveVehicle(view())).toMatchObject({ heading: 90, speedKmh: 0 });
    expect(toLiveVehicle(view({ lat: null, lon: null }))).toBeNull();
  });

  it('finds the cars inside a box by state, and moves a car between cells', () => {
    const fleet = new LiveFleet();
    fleet.apply(view());
    fleet.apply(view({ id: 'car-2', lat: 52.6, lon: 13.5, state: 'reserved' }));
    fleet.apply(view({ id: 'car-3', lat: null, lon: null }));
    const berlin: [number, number, number, number] = [13.3, 52.4, 13.7, 52.7];
    expect(
      fleet
        .inBox(berlin, null)
        .map((v) => v.id)
        .sort(),
    ).toEqual(['car-1', 'car-2']);
    expect(fleet.inBox(berlin, new Set(['reserved'])).map((v) => v.id)).toEqual(['car-2']);
    expect(fleet.inBox([13.4, 52.5, 13.41, 52.53], null).map((v) => v.id)).toEqual(['car-1']);
    const before = fleet.apply(view({ lat: 52.61, lon: 13.51, version: 2 }));
    expect(before).toEqual({ lat: 52.52, lon: 13.405 });
    expect(fleet.inBox([13.4, 52.5, 13.41, 52.53], null)).toEqual([]);
    expect(
      fleet
        .inBox([13.5, 52.6, 13.52, 52.62], null)
        .map((v) => v.id)
        .sort(),
    ).toEqual(['car-1', 'car-2']);
    // Each car's JSON is made once per change, and anew after one.
    expect(JSON.parse(fleet.get('car-1')!.json)).toMatchObject({ lat: 52.61, lon: 13.51 });
    fleet.apply(view({ lat: 52.62, lon: 13.51, version: 3 }));
    expect(JSON.parse(fleet.get('car-1')!.json)).toMatchObject({ lat: 52.62 });
    fleet.apply(view({ lat: 52.61, lon: 13.51, version: 4 }));
    // A box wider than the fleet's cells takes the walk over every car: same answer.
    expect(
      fleet
        .inBox([-180, -90, 180, 90], null)
        .map((v) => v.id)
        .sort(),
    ).toEqual(['car-1', 'car-2']);
  });

  it('ignores a view not newer than the one held, even one written later by a transaction that began earlier', () => {
    const fleet = new LiveFleet();
    fleet.apply(view({ version: 5, state: 'on_trip', updatedAt: '2026-11-21T10:00:01.000Z' }));
    const older = view({
      version: 4,
      state: 'available',
      lat: null,
      lon: null,
      updatedAt: '2026-11-21T10:00:09.000Z',
    });
    expect(fleet.apply(older)).toBeNull();
    expect(fleet.apply(view({ version: 5, state: 'available' }))).toBeNull();
    expect(fleet.get('car-1')!.state).toBe('on_trip');
    expect(fleet.get('car-1')!.view).not.toBeNull();
  });

  it('counts cars by state as they change, cars without a position included', () => {
    const fleet = new LiveFleet();
    fleet.apply(view());
    fleet.apply(view({ id: 'car-2', state: 'reserved' }));
    fleet.apply(view({ id: 'car-3', lat: null, lon: null, state: 'non_contactable' }));
    fleet.apply(view({ id: 'car-2', state: 'on_trip', version: 2 }));
    const stats = fleet.stats();
    expect(stats.total).toBe(3);
    expect(stats.byState).toMatchObject({ available: 1, reserved: 0, on_trip: 1, non_contactable: 1 });
  });
});
