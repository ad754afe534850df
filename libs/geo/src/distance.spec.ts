import fc from 'fast-check';
import { EARTH_RADIUS_M, haversineDistanceM, LatLon } from '@fleet/geo';

const BRANDENBURGER_TOR: LatLon = { lat: 52.5163, lon: 13.3777 };
const ALEXANDERPLATZ: LatLon = { lat: 52.5219, lon: 13.4132 };

const point = fc.record({
  lat: fc.double({ min: -90, max: 90, noNaN: true }),
  lon: fc.double({ min: -180, max: 180, noNaN: true }),
});

describe('haversineDistanceM', () => {
  it.each<[string, LatLon, LatLon, number, number]>([
    ['Brandenburger Tor to Alexanderplatz', BRANDENBURGER_TOR, ALEXANDERPLATZ, 2_460, 0.01],
    ['Berlin to Munich', { lat: 52.52, lon: 13.405 }, { lat: 48.1351, lon: 11.582 }, 504_000, 0.01],
    ['one degree of latitude', { lat: 10, lon: 20 }, { lat: 11, lon: 20 }, 111_195, 0.001],
    ['one degree of longitude on the equator', { lat: 0, lon: 20 }, { lat: 0, lon: 21 }, 111_195, 0.001],
    ['one degree of longitude at 60° N', { lat: 60, lon: 20 }, { lat: 60, lon: 21 }, 55_597, 0.001],
    ['across the antimeridian', { lat: 0, lon: 179.5 }, { lat: 0, lon: -179.5 }, 111_195, 0.001],
    ['antipodal points', { lat: 52.52, lon: 13.405 }, { lat: -52.52, lon: -166.595 }, 20_015_087, 0.001],
    ['pole to pole', { lat: 90, lon: 0 }, { lat: -90, lon: 0 }, 20_015_087, 0.001],
  ])('%s', (_name, a, b, expectedM, tolerance) => {
    const d = haversineDistanceM(a, b);
    expect(Math.abs(d - expectedM) / expectedM).toBeLessThan(tolerance);
  });

  it('gives 0 for the same point', () => {
    expect(haversineDistanceM(BRANDENBURGER_TOR, BRANDENBURGER_TOR)).toBe(0);
    expect(haversineDistanceM({ lat: 90, lon: 0 }, { lat: 90, lon: 123 })).toBeCloseTo(0, 6);
  });

  it('is symmetric, never negative and never more than half the circumference', () => {
    fc.assert(
      fc.property(point, point, (a, b) => {
        const d = haversineDistanceM(a, b);
        expect(Number.isFinite(d)).toBe(true);
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThanOrEqual(Math.PI * EARTH_RADIUS_M + 1e-6);
        expect(haversineDistanceM(b, a)).toBeCloseTo(d, 6);
      }),
    );
  });
});
