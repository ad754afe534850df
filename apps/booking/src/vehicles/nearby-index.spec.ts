import { geodesicDistanceM } from '@fleet/geo';
import { IndexedCar, NearbyIndex } from './nearby-index';

const NOW = Date.parse('2026-11-21T10:00:00Z');
const rules = { minEnergyPct: 15, maxFixAgeS: 2700 };
/** A business area: everything west of 13.6. */
const inArea = (_lat: number, lon: number) => lon < 13.6;

function random(seed: number) {
  let a = seed;
  return () => {
    a = (a * 1_103_515_245 + 12_345) % 2 ** 31;
    return a / 2 ** 31;
  };
}

/** `n` cars spread uniformly over a box from (52.4, 13.18), 0.23 x 0.45 degrees unless told. */
function fleet(n: number, seed: number, box = { dLat: 0.23, dLon: 0.45 }): IndexedCar[] {
  const r = random(seed);
  return Array.from({ length: n }, (_, i) => ({
    id: `C${i}`,
    plate: `P${i}`,
    model: 'VW ID.3',
    propulsion: i % 2 ? 'electric' : 'combustion',
    operationalStatus: r() < 0.02 ? 'maintenance' : 'active',
    lat: 52.4 + r() * box.dLat,
    lon: 13.18 + r() * box.dLon,
    state: r() < 0.9 ? 'available' : 'reserved',
    online: r() < 0.96,
    fixAtMs: NOW - r() * 4000_000,
    fuelPct: r() * 100,
    batteryPct: r() * 100,
    rangeKm: 100,
    version: 0,
  }));
}

/** What the SQL says, by brute force: every rule, exact distances, nearest first. */
function bruteForce(cars: IndexedCar[], lat: number, lon: number, radiusM: number, limit: number) {
  return cars
    .filter((c) => {
      const energy = c.propulsion === 'electric' ? c.batteryPct : c.fuelPct;
      return (
        c.state === 'available' &&
        c.online &&
        c.operationalStatus === 'active' &&
        c.fixAtMs! > NOW - rules.maxFixAgeS * 1000 &&
        energy! >= rules.minEnergyPct &&
        inArea(c.lat!, c.lon!)
      );
    })
    .map((c) => ({ id: c.id, distanceM: geodesicDistanceM({ lat, lon }, c as { lat: number; lon: number }) }))
    .filter((c) => c.distanceM <= radiusM)
    .sort((a, b) => a.distanceM - b.distanceM)
    .slice(0, limit);
}

describe('NearbyIndex', () => {
  const cars = fleet(5_000, 7);
  const index = new NearbyIndex(rules, inArea);
  for (const car of cars) index.upsert(car);

  it('answers what the bookable rule and ellipsoidal distances say, nearest first, for 100 random queries', () => {
    const r = random(99);
    for (let q = 0; q < 100; q++) {
      const lat = 52.38 + r() * 0.27;
      const lon = 13.15 + r() * 0.5;
      const radiusM = 1 + Math.floor(r() * 5000);
      const limit = 1 + Math.floor(r() * 100);
      const got = index
        .query(lat, lon, radiusM, limit, NOW)
        .map((c) => ({ id: c.id, distanceM: c.distanceM }));
      expect(got).toEqual(bruteForce(cars, lat, lon, radiusM, limit));
    }
  });

  it('answers as brute force in a dense fleet, where the nearest cells alone settle the answer', () => {
    // 8,000 cars on about 3.3 x 3.4 km: hundreds per square kilometre, so a query stops after a few cells.
    const dense = fleet(8_000, 11, { dLat: 0.03, dLon: 0.05 });
    const denseIndex = new NearbyIndex(rules, inArea);
    for (const car of dense) denseIndex.upsert(car);
    const r = random(5);
    for (let q = 0; q < 30; q++) {
      const lat = 52.395 + r() * 0.04;
      const lon = 13.175 + r() * 0.06;
      const radiusM = 1 + Math.floor(r() * 2000);
      const limit = 1 + Math.floor(r() * 30);
      const got = denseIndex
        .query(lat, lon, radiusM, limit, NOW)
        .map((c) => ({ id: c.id, distanceM: c.distanceM }));
      expect(got).toEqual(bruteForce(dense, lat, lon, radiusM, limit));
    }
  });

  it('follows changes: a car that moves, is reserved or goes offline', () => {
    const small = new NearbyIndex(rules, inArea);
    const car: IndexedCar = {
      ...cars[0],
      lat: 52.52,
      lon: 13.4,
      state: 'available',
      online: true,
      operationalStatus: 'active',
      fixAtMs: NOW,
      batteryPct: 80,
      fuelPct: 80,
    };
    small.upsert(car);
    const ids = () => small.query(52.52, 13.4, 500, 10, NOW).map((c) => c.id);
    expect(ids()).toEqual([car.id]);
    const view = {
      id: car.id,
      lat: 52.6,
      lon: 13.4,
      headingDeg: null,
      speedKmh: null,
      fuelPct: 80,
      batteryPct: 80,
      locked: true,
      online: true,
      state: 'available' as const,
      fixAt: new Date(NOW).toISOString(),
      updatedAt: new Date(NOW).toISOString(),
      version: 1,
    };
    expect(small.apply(view)).toBe(true);
    expect(ids()).toEqual([]);
    expect(small.query(52.6, 13.4, 500, 10, NOW).map((c) => c.id)).toEqual([car.id]);
    small.apply({ ...view, state: 'reserved', version: 2 });
    expect(small.query(52.6, 13.4, 500, 10, NOW)).toEqual([]);
    small.apply({ ...view, online: false, version: 3 });
    expect(small.query(52.6, 13.4, 500, 10, NOW)).toEqual([]);
    small.apply({ ...view, version: 4 });
    expect(small.query(52.6, 13.4, 500, 10, NOW).map((c) => c.id)).toEqual([car.id]);
    // An older view arriving late (a transaction that began first and committed last) changes nothing,
    // nor does an older read of the database.
    small.apply({ ...view, state: 'reserved', version: 3 });
    small.upsert({ ...car, state: 'reserved', version: 2 });
    expect(small.query(52.6, 13.4, 500, 10, NOW).map((c) => c.id)).toEqual([car.id]);
    // A fix older than the rule allows, and a car unknown to the index.
    expect(small.query(52.6, 13.4, 500, 10, NOW + 2701_000)).toEqual([]);
    expect(small.apply({ ...view, id: 'unknown' })).toBe(false);
    // The business area moved away from it.
    small.setAreaTest(() => false);
    expect(small.query(52.6, 13.4, 500, 10, NOW)).toEqual([]);
  });
});
