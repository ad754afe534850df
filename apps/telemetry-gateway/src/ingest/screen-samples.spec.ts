import { RejectReason, TelemetrySample } from '@fleet/contracts';
import { EARTH_RADIUS_M, impliedSpeedKmh, TimedFix } from '@fleet/geo';
import { ScreenOptions, ScreenResult, screenSamples } from './screen-samples';

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);
const OPTIONS: ScreenOptions = { nowMs: NOW, maxFutureMs: 5 * 60_000, maxImpliedSpeedKmh: 300 };

/** Berlin, Alexanderplatz. */
const ORIGIN = { lat: 52.5219, lon: 13.4132 };
/** Degrees of latitude for `metres` due north (exact on the haversine sphere). */
const northDeg = (metres: number) => (metres / EARTH_RADIUS_M) * (180 / Math.PI);

/** A sample of `vehicleId` `metres` north of ORIGIN, `seconds` after `baseMs`. */
function sample(
  vehicleId: string,
  seconds: number,
  metres = 0,
  extra: Partial<TelemetrySample> = {},
  baseMs = NOW - 3_600_000,
): TelemetrySample {
  return {
    vehicleId,
    tsMs: baseMs + seconds * 1000,
    seq: null,
    lat: ORIGIN.lat + northDeg(metres),
    lon: ORIGIN.lon,
    accuracyM: null,
    headingDeg: null,
    speedKmh: null,
    odometerKm: null,
    rangeKm: null,
    fuelPct: null,
    batteryPct: null,
    locked: true,
    ignition: null,
    doorsClosed: null,
    ...extra,
  };
}

const fixOf = (s: TelemetrySample): TimedFix => ({ lat: s.lat, lon: s.lon, tsMs: s.tsMs });
const reasons = (r: ScreenResult) => r.rejected.map((x) => [x.sample.seq ?? x.sample.tsMs, x.reason]);
const acceptedSeqs = (r: ScreenResult) => r.accepted.map((s) => s.seq).sort((a, b) => a! - b!);

/** Runs screenSamples and checks it neither reorders nor changes its input. */
function screen(
  samples: TelemetrySample[],
  lastFixes: Map<string, TimedFix | null>,
  options: ScreenOptions = OPTIONS,
): ScreenResult {
  const before = structuredClone(samples);
  const order = [...samples];
  const result = screenSamples(samples, lastFixes, options);
  expect(samples).toEqual(before);
  samples.forEach((s, i) => expect(s).toBe(order[i]));
  return result;
}

describe('screenSamples', () => {
  it('accepts plausible samples of a known vehicle', () => {
    const samples = [sample('car-1', 0, 0, { seq: 1 }), sample('car-1', 10, 50, { seq: 2 })];
    const result = screen(samples, new Map([['car-1', null]]));
    expect(result.rejected).toEqual([]);
    expect(result.duplicates).toBe(0);
    expect(result.accepted).toEqual(samples);
  });

  it('rejects every sample of an unknown vehicle with UNKNOWN_VEHICLE', () => {
    const ghost = [sample('ghost', 0, 0, { seq: 1 }), sample('ghost', 10, 0, { seq: 2 })];
    const known = sample('car-1', 0, 0, { seq: 7 });
    const result = screen([ghost[0], known, ghost[1]], new Map([['car-1', null]]));
    expect(result.accepted).toEqual([known]);
    expect(result.rejected.map((r) => [r.sample, r.reason])).toEqual([
      [ghost[0], RejectReason.UnknownVehicle],
      [ghost[1], RejectReason.UnknownVehicle],
    ]);
    expect(result.rejected[0].details).toContain('ghost');
  });

  describe('fix times in the future', () => {
    it.each<[string, number, boolean]>([
      ['now', 0, true],
      ['1 minute ahead', 60_000, true],
      ['exactly at the limit', OPTIONS.maxFutureMs, true],
      ['1 ms beyond the limit', OPTIONS.maxFutureMs + 1, false],
      ['an hour ahead', 3_600_000, false],
    ])('a fix %s is %s', (_name, aheadMs, accepted) => {
      const s = sample('car-1', 0, 0, { seq: 1 }, NOW + aheadMs);
      const result = screen([s], new Map([['car-1', null]]));
      if (accepted) {
        expect(result.accepted).toEqual([s]);
        expect(result.rejected).toEqual([]);
      } else {
        expect(result.accepted).toEqual([]);
        expect(result.rejected.map((r) => r.reason)).toEqual([RejectReason.FutureTimestamp]);
      }
    });

    it('uses the configured limit', () => {
      const s = sample('car-1', 0, 0, {}, NOW + 2000);
      const strict = screen([s], new Map([['car-1', null]]), { ...OPTIONS, maxFutureMs: 1000 });
      expect(strict.rejected.map((r) => r.reason)).toEqual([RejectReason.FutureTimestamp]);
      expect(strict.rejected[0].details).toMatch(/\b2 s ahead\b/);
    });
  });

  describe('duplicates inside a batch', () => {
    it('counts a repeated (vehicle, seq) as a duplicate and keeps only the first', () => {
      const first = sample('car-1', 0, 0, { seq: 5 });
      const again = sample('car-1', 1, 10, { seq: 5 });
      const third = sample('car-1', 2, 20, { seq: 5 });
      const result = screen([first, again, third], new Map([['car-1', null]]));
      expect(result.accepted).toEqual([first]);
      expect(result.duplicates).toBe(2);
      expect(result.rejected).toEqual([]);
    });

    it('counts a repeated (vehicle, fix time) as a duplicate, whatever its seq', () => {
      const first = sample('car-1', 0, 0, { seq: 1 });
      const sameTime = sample('car-1', 0, 0, { seq: 2 });
      const sameTimeNoSeq = sample('car-1', 0, 0, { seq: null });
      const result = screen([first, sameTime, sameTimeNoSeq], new Map([['car-1', null]]));
      expect(result.accepted).toEqual([first]);
      expect(result.duplicates).toBe(2);
    });

    it('counts an exact repeat of a sample once as a duplicate', () => {
      const s = sample('car-1', 0, 0, { seq: 1 });
      const result = screen([s, { ...s }], new Map([['car-1', null]]));
      expect(result.accepted).toEqual([s]);
      expect(result.duplicates).toBe(1);
    });

    it('does not treat the same seq or fix time of different vehicles as duplicates', () => {
      const a = sample('car-1', 0, 0, { seq: 1 });
      const b = sample('car-2', 0, 0, { seq: 1 });
      const result = screen(
        [a, b],
        new Map([
          ['car-1', null],
          ['car-2', null],
        ]),
      );
      expect(result.duplicates).toBe(0);
      expect(result.accepted).toHaveLength(2);
    });

    it('does not treat samples without seq at different times as duplicates', () => {
      const samples = [sample('car-1', 0), sample('car-1', 1), sample('car-1', 2)];
      const result = screen(samples, new Map([['car-1', null]]));
      expect(result.duplicates).toBe(0);
      expect(result.accepted).toHaveLength(3);
    });
  });

  describe('implied speed from the last accepted fix', () => {
    const last = { ...ORIGIN, tsMs: NOW - 3_600_000 };

    it('rejects a jump faster than the limit with IMPLAUSIBLE_SPEED', () => {
      // 1,000 m in 10 s = 360 km/h
      const jump = sample('car-1', 10, 1000, { seq: 1 });
      const result = screen([jump], new Map([['car-1', last]]));
      expect(result.accepted).toEqual([]);
      expect(result.rejected.map((r) => r.reason)).toEqual([RejectReason.ImplausibleSpeed]);
      expect(result.rejected[0].details).toMatch(/\b360 km\/h\b/);
    });

    it('accepts a move slower than the limit', () => {
      // 1,000 m in 20 s = 180 km/h
      const move = sample('car-1', 20, 1000, { seq: 1 });
      const result = screen([move], new Map([['car-1', last]]));
      expect(result.accepted).toEqual([move]);
      expect(result.rejected).toEqual([]);
    });

    it('accepts a speed exactly at the limit and rejects one just above it', () => {
      const move = sample('car-1', 10, 800);
      const speed = impliedSpeedKmh(last, fixOf(move));
      const atLimit = screen([move], new Map([['car-1', last]]), { ...OPTIONS, maxImpliedSpeedKmh: speed });
      expect(atLimit.accepted).toEqual([move]);
      const aboveLimit = screen([move], new Map([['car-1', last]]), {
        ...OPTIONS,
        maxImpliedSpeedKmh: speed - 0.01,
      });
      expect(aboveLimit.rejected.map((r) => r.reason)).toEqual([RejectReason.ImplausibleSpeed]);
    });

    it('checks each sample of a batch against the last ACCEPTED one, not the last received', () => {
      const samples = [
        sample('car-1', 10, 10_000, { seq: 1 }), // 10 km in 10 s from `last`: rejected
        sample('car-1', 20, 200, { seq: 2 }), // 200 m in 20 s from `last` (36 km/h): accepted
        sample('car-1', 30, 400, { seq: 3 }), // 200 m in 10 s from seq 2 (72 km/h): accepted
        sample('car-1', 31, 5_000, { seq: 4 }), // 4.6 km in 1 s from seq 3: rejected
        sample('car-1', 40, 450, { seq: 5 }), // 50 m in 10 s from seq 3: accepted
      ];
      const result = screen(samples, new Map([['car-1', last]]));
      expect(acceptedSeqs(result)).toEqual([2, 3, 5]);
      expect(reasons(result)).toEqual([
        [1, RejectReason.ImplausibleSpeed],
        [4, RejectReason.ImplausibleSpeed],
      ]);
    });

    it('checks a batch in fix-time order, whatever order it arrived in', () => {
      // In time order seq 1 (5 km in 10 s) is the jump; seq 2 is plausible from the stored fix.
      const later = sample('car-1', 20, 400, { seq: 2 });
      const jump = sample('car-1', 10, 5000, { seq: 1 });
      const result = screen([later, jump], new Map([['car-1', last]]));
      expect(result.accepted).toEqual([later]);
      expect(reasons(result)).toEqual([[1, RejectReason.ImplausibleSpeed]]);
    });

    it('accepts the first sample of a vehicle without a previous fix and checks the next ones against it', () => {
      const samples = [
        sample('car-1', 0, 0, { seq: 1 }),
        sample('car-1', 5, 20_000, { seq: 2 }), // 20 km in 5 s from seq 1: rejected
        sample('car-1', 10, 100, { seq: 3 }), // 100 m in 10 s from seq 1: accepted
      ];
      const result = screen(samples, new Map([['car-1', null]]));
      expect(acceptedSeqs(result)).toEqual([1, 3]);
      expect(reasons(result)).toEqual([[2, RejectReason.ImplausibleSpeed]]);
    });

    it('accepts a single far-away first sample of a vehicle with no previous fix', () => {
      const first = sample('car-1', 0, 3_000_000, { seq: 1 });
      const result = screen([first], new Map([['car-1', null]]));
      expect(result.accepted).toEqual([first]);
    });

    it('accepts samples older than the last fix (late uploads) without a speed check', () => {
      const lastFix = { ...ORIGIN, tsMs: NOW - 60_000 };
      const late = [
        sample('car-1', 0, 50_000, { seq: 1 }, NOW - 600_000), // 50 km away, 9 min before the last fix
        sample('car-1', 1, -80_000, { seq: 2 }, NOW - 600_000), // then 130 km the other way in 1 s
      ];
      const result = screen(late, new Map([['car-1', lastFix]]));
      expect(acceptedSeqs(result)).toEqual([1, 2]);
      expect(result.rejected).toEqual([]);
    });

    it('keeps checking new samples against the last fix when late uploads are in the same batch', () => {
      const lastFix = { ...ORIGIN, tsMs: NOW - 60_000 };
      const late = sample('car-1', 0, 50_000, { seq: 1 }, NOW - 600_000);
      const jump = sample('car-1', 10, 5000, { seq: 2 }, NOW - 60_000); // 5 km in 10 s from the last fix
      const near = sample('car-1', 20, 100, { seq: 3 }, NOW - 60_000); // 100 m in 20 s
      const result = screen([late, jump, near], new Map([['car-1', lastFix]]));
      expect(acceptedSeqs(result)).toEqual([1, 3]);
      expect(reasons(result)).toEqual([[2, RejectReason.ImplausibleSpeed]]);
    });

    it('screens each vehicle against its own last fix', () => {
      const fixes = new Map<string, TimedFix | null>([
        ['car-1', { ...ORIGIN, tsMs: NOW - 60_000 }],
        ['car-2', { lat: ORIGIN.lat + northDeg(10_000), lon: ORIGIN.lon, tsMs: NOW - 60_000 }],
      ]);
      // Both 10 km north of ORIGIN 30 s later: a jump for car-1, standing still for car-2.
      const a = sample('car-1', 30, 10_000, { seq: 1 }, NOW - 60_000);
      const b = sample('car-2', 30, 10_000, { seq: 1 }, NOW - 60_000);
      const result = screen([a, b], fixes);
      expect(result.accepted).toEqual([b]);
      expect(result.rejected.map((r) => [r.sample.vehicleId, r.reason])).toEqual([
        ['car-1', RejectReason.ImplausibleSpeed],
      ]);
    });
  });

  it('puts every input sample in exactly one of accepted, rejected or duplicates', () => {
    const fixes = new Map<string, TimedFix | null>([
      ['car-1', { ...ORIGIN, tsMs: NOW - 3_600_000 }],
      ['car-2', null],
    ]);
    const samples = [
      sample('car-1', 10, 100, { seq: 1 }),
      sample('car-1', 11, 100_000, { seq: 2 }),
      sample('car-1', 12, 100, { seq: 1 }),
      sample('ghost', 0, 0, { seq: 1 }),
      sample('car-2', 0, 0, { seq: 1 }, NOW + 3_600_000),
      sample('car-2', 0, 0, { seq: 2 }),
    ];
    const result = screen(samples, fixes);
    expect(result.accepted.length + result.rejected.length + result.duplicates).toBe(samples.length);
    expect(result.duplicates).toBe(1);
  });
});
