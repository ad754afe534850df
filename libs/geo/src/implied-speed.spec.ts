import fc from 'fast-check';
import { EARTH_RADIUS_M, impliedSpeedKmh, TimedFix } from '@fleet/geo';

/** Degrees of latitude for `metres` due north (exact on the haversine sphere). */
const northDeg = (metres: number) => (metres / EARTH_RADIUS_M) * (180 / Math.PI);
const T = Date.UTC(2026, 0, 1);

const fix = (metresNorth: number, ms: number): TimedFix => ({
  lat: 52.5 + northDeg(metresNorth),
  lon: 13.4,
  tsMs: T + ms,
});

describe('impliedSpeedKmh', () => {
  it.each<[string, TimedFix, TimedFix, number]>([
    ['100 m in 10 s', fix(0, 0), fix(100, 10_000), 36],
    ['1 km in 60 s', fix(0, 0), fix(1000, 60_000), 60],
    ['1 km in 10 s', fix(0, 0), fix(1000, 10_000), 360],
    ['standing still', fix(50, 0), fix(50, 30_000), 0],
  ])('%s', (_name, from, to, kmh) => {
    expect(impliedSpeedKmh(from, to)).toBeCloseTo(kmh, 6);
  });

  it.each<[string, number]>([
    ['500 ms', 500],
    ['1 ms', 1],
    ['no time at all', 0],
    ['exactly 1 s', 1000],
  ])('counts a gap of %s as 1 s (100 m -> 360 km/h)', (_name, gapMs) => {
    expect(impliedSpeedKmh(fix(0, 0), fix(100, gapMs))).toBeCloseTo(360, 6);
  });

  it('uses a custom minimum gap', () => {
    expect(impliedSpeedKmh(fix(0, 0), fix(100, 500), 100)).toBeCloseTo(720, 6);
    expect(impliedSpeedKmh(fix(0, 0), fix(100, 10_000), 20_000)).toBeCloseTo(18, 6);
  });

  it('does not depend on the order of the fixes', () => {
    expect(impliedSpeedKmh(fix(100, 10_000), fix(0, 0))).toBeCloseTo(36, 6);
    fc.assert(
      fc.property(
        fc.double({ min: -1e6, max: 1e6, noNaN: true }),
        fc.integer({ min: -1e9, max: 1e9 }),
        fc.double({ min: -1e6, max: 1e6, noNaN: true }),
        fc.integer({ min: -1e9, max: 1e9 }),
        (m1, t1, m2, t2) => {
          const a = fix(m1, t1);
          const b = fix(m2, t2);
          const speed = impliedSpeedKmh(a, b);
          expect(Number.isFinite(speed)).toBe(true);
          expect(speed).toBeGreaterThanOrEqual(0);
          expect(impliedSpeedKmh(b, a)).toBe(speed);
        },
      ),
    );
  });
});
