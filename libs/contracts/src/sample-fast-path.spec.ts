import { validateSync } from 'class-validator';
import fc from 'fast-check';
import { sampleDto } from './parse-telemetry';
import { plainlyValidSample } from './sample-fast-path';
import { TELEMETRY_SAMPLE_FIELDS } from './telemetry-sample';

const dtoAccepts = (s: Record<string, unknown>) =>
  validateSync(sampleDto(s), { forbidUnknownValues: false }).length === 0;

/** Values near and across every boundary of the contract, of every JSON type. */
const anyValue = fc.oneof(
  fc.constantFrom(
    0,
    -0,
    1,
    -1,
    90,
    90.0001,
    -90,
    -90.0001,
    180,
    180.0001,
    -180.0001,
    360,
    360.5,
    400,
    400.1,
    100,
    100.5,
    Number.MAX_SAFE_INTEGER,
    Number.MAX_SAFE_INTEGER + 2,
    1.5,
    NaN,
    Infinity,
    -Infinity,
    null,
    true,
    false,
    '',
    '12',
    '2026-11-21T08:00:00Z',
    '2026-02-30T08:00:00Z',
    [],
    {},
  ),
  fc.double(),
  fc.integer(),
  fc.boolean(),
  fc.string(),
);
const FIELDS = TELEMETRY_SAMPLE_FIELDS;

/** A sample that meets the contract, each optional field present or not. */
const validSample = fc.record(
  {
    ts: fc.oneof(
      fc.integer({ min: 0, max: 4_102_444_800_000 }),
      fc.constant('2026-11-21T08:00:00.123+01:00'),
    ),
    lat: fc.double({ min: -90, max: 90, noNaN: true }),
    lon: fc.double({ min: 0.001, max: 180, noNaN: true }),
    locked: fc.boolean(),
    seq: fc.integer({ min: 0 }),
    accuracyM: fc.double({ min: 0, max: 1e6, noNaN: true }),
    heading: fc.double({ min: 0, max: 360, noNaN: true }),
    speedKmh: fc.double({ min: 0, max: 400, noNaN: true }),
    odometerKm: fc.double({ min: 0, max: 1e7, noNaN: true }),
    rangeKm: fc.double({ min: 0, max: 2000, noNaN: true }),
    fuelPct: fc.double({ min: 0, max: 100, noNaN: true }),
    batteryPct: fc.double({ min: 0, max: 100, noNaN: true }),
    ignition: fc.boolean(),
    doorsClosed: fc.boolean(),
  },
  { requiredKeys: ['ts', 'lat', 'lon', 'locked'] },
);

describe('plainlyValidSample (the hot path shortcut past class-validator)', () => {
  it('accepts nothing that TelemetrySampleDto refuses: a valid sample with one field made arbitrary', () => {
    fc.assert(
      fc.property(validSample, fc.constantFrom(...FIELDS), anyValue, (sample, field, value) => {
        const s: Record<string, unknown> = { ...sample, [field]: value };
        if (plainlyValidSample(s)) expect(dtoAccepts(s)).toBe(true);
      }),
      { numRuns: 5000 },
    );
  });

  it('accepts nothing that TelemetrySampleDto refuses: arbitrary objects', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...FIELDS), anyValue), (s) => {
        if (plainlyValidSample(s)) expect(dtoAccepts(s)).toBe(true);
      }),
      { numRuns: 5000 },
    );
  });

  it('takes every valid sample without nulls the short way', () => {
    fc.assert(
      fc.property(validSample, (s) => {
        expect(dtoAccepts(s)).toBe(true);
        expect(plainlyValidSample(s)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it.each<[string, Record<string, unknown>]>([
    ['null island', { ts: 1, lat: 0, lon: 0, locked: true }],
    ['a null optional field (class-validator decides)', { ts: 1, lat: 1, lon: 1, locked: true, seq: null }],
    ['a fractional seq', { ts: 1, lat: 1, lon: 1, locked: true, seq: 1.5 }],
    ['an impossible date', { ts: '2026-02-30T08:00:00Z', lat: 1, lon: 1, locked: true }],
    ['locked as a string', { ts: 1, lat: 1, lon: 1, locked: 'true' }],
  ])('leaves %s to class-validator', (_name, s) => {
    expect(plainlyValidSample(s)).toBe(false);
  });
});
