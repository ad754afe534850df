import { validateSync } from 'class-validator';
import fc from 'fast-check';
import {
  DEFAULT_TELEMETRY_LIMITS,
  parseJsonMessage,
  parseTelemetryPayload,
  ParsedTelemetry,
  RejectReason,
  sampleDto,
  TELEMETRY_SAMPLE_FIELDS,
  TelemetryLimits,
  TelemetrySample,
  VehicleStatusDto,
} from '@fleet/contracts';
import { plainlyValidSample } from './sample-fast-path';

/**
 * Property-based tests of the telemetry parser against CONTRACT.md section 1: what a car maker
 * notices is a crash, a message that vanishes, a valid fix refused or changed, or a broken one stored.
 */

const VEHICLE = 'car-7';
/** Limits high enough that only the property under test decides (deep nesting, long arrays). */
const LIFTED: TelemetryLimits = { maxPayloadBytes: 64 * 1024 * 1024, maxSamplesPerMessage: 1000 };
/** The reasons the parser itself gives; the others come from later steps of the gateway. */
const PARSER_REASONS: readonly RejectReason[] = [
  RejectReason.MalformedJson,
  RejectReason.PayloadTooLarge,
  RejectReason.BatchSize,
  RejectReason.SchemaViolation,
];
const FIELDS: readonly string[] = TELEMETRY_SAMPLE_FIELDS;
const OPTIONAL_NUMBERS = [
  ['accuracyM', Infinity],
  ['heading', 360],
  ['speedKmh', 400],
  ['odometerKm', Infinity],
  ['rangeKm', Infinity],
  ['fuelPct', 100],
  ['batteryPct', 100],
] as const;
const OPTIONAL_BOOLEANS = ['ignition', 'doorsClosed'] as const;
const OPTIONAL_FIELDS: readonly string[] = ['seq', ...OPTIONAL_NUMBERS.map(([f]) => f), ...OPTIONAL_BOOLEANS];

const parseBytes = (payload: Buffer, limits?: TelemetryLimits): ParsedTelemetry =>
  parseTelemetryPayload(VEHICLE, payload, limits);
const parseText = (text: string, limits?: TelemetryLimits): ParsedTelemetry =>
  parseBytes(Buffer.from(text, 'utf8'), limits);

/** True when a string holds no lone UTF-16 surrogate (PostgreSQL text and json refuse one). */
const wellFormed = (s: string): boolean =>
  !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s);

/**
 * The outcome slots of a message per the contract: one per item of an array of 1..limit samples,
 * otherwise one for the whole message (null). Each must end as exactly one sample or one reject.
 */
function outcomeSlots(
  payload: Buffer,
  limits: TelemetryLimits,
): { slots: (number | null)[]; items?: unknown[] } {
  if (payload.length > limits.maxPayloadBytes || payload.includes(0)) return { slots: [null] };
  let body: unknown;
  try {
    body = JSON.parse(payload.toString('utf8'));
  } catch {
    return { slots: [null] };
  }
  if (Array.isArray(body) && body.length >= 1 && body.length <= limits.maxSamplesPerMessage) {
    return { slots: body.map((_, i) => i), items: body };
  }
  return { slots: [null] };
}

/** Violations of the contract's field rules in a sample the parser returned (empty when it keeps them). */
function contractProblems(s: TelemetrySample): string[] {
  const problems: string[] = [];
  const check = (name: string, v: number | null, min: number, max = Infinity) => {
    if (v !== null && !(Number.isFinite(v) && v >= min && v <= max)) problems.push(`${name}=${v}`);
  };
  if (s.vehicleId !== VEHICLE) problems.push(`vehicleId=${s.vehicleId}`);
  if (!Number.isSafeInteger(s.tsMs) || s.tsMs < 0) problems.push(`tsMs=${s.tsMs}`);
  check('lat', s.lat, -90, 90);
  check('lon', s.lon, -180, 180);
  if (s.lat === 0 && s.lon === 0) problems.push('null island');
  if (typeof s.locked !== 'boolean') problems.push('locked');
  if (s.seq !== null && !(Number.isSafeInteger(s.seq) && s.seq >= 0)) problems.push(`seq=${s.seq}`);
  check('accuracyM', s.accuracyM, 0);
  check('headingDeg', s.headingDeg, 0, 360);
  check('speedKmh', s.speedKmh, 0, 400);
  check('odometerKm', s.odometerKm, 0);
  check('rangeKm', s.rangeKm, 0);
  check('fuelPct', s.fuelPct, 0, 100);
  check('batteryPct', s.batteryPct, 0, 100);
  for (const b of [s.ignition, s.doorsClosed])
    if (b !== null && typeof b !== 'boolean') problems.push('bool');
  return problems;
}

/**
 * What every result must keep, whatever the payload: no slot of the message left without an outcome
 * or given two, samples that keep the contract, rejects with a parser reason, readable details and
 * the offending bytes.
 */
function expectAccountedFor(
  payload: Buffer,
  result: ParsedTelemetry,
  limits = DEFAULT_TELEMETRY_LIMITS,
): void {
  const { slots, items } = outcomeSlots(payload, limits);
  expect(result.samples).toHaveLength(result.sampleIndexes.length);
  const outcomes = [...result.sampleIndexes, ...result.rejects.map((r) => r.sampleIndex)];
  expect(outcomes.sort((a, b) => (a ?? -1) - (b ?? -1))).toEqual(slots);

  for (const sample of result.samples) expect(contractProblems(sample)).toEqual([]);
  for (const reject of result.rejects) {
    expect(PARSER_REASONS).toContain(reject.reason);
    expect(reject.details.length).toBeGreaterThan(0);
    expect(reject.details).not.toContain('\u0000');
    expect(wellFormed(reject.details)).toBe(true);
    expect(Buffer.isBuffer(reject.raw)).toBe(true);
    if (reject.sampleIndex === null) {
      expect(reject.raw.equals(payload)).toBe(true);
    } else {
      // The quarantine keeps the one sample, re-serialised: always valid JSON.
      const text = reject.raw.toString('utf8');
      expect(() => JSON.parse(text) as unknown).not.toThrow();
      let again: string | undefined;
      try {
        again = JSON.stringify(items![reject.sampleIndex]);
      } catch {
        again = undefined; // too deep to serialise again: a placeholder is kept instead
      }
      if (again !== undefined) expect(text).toBe(again);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Generators of valid samples, from the contract's ranges.

/** A contract time with the instant it names: whole milliseconds and the sub-millisecond rest. */
interface GeneratedTime {
  ts: string | number;
  wholeMs: number;
  /** 0 <= fracMs < 1, from ISO fractions of more than 3 digits. */
  fracMs: number;
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** Epoch milliseconds up to the end of JavaScript's date range (year 275760). */
const epochMs: fc.Arbitrary<GeneratedTime> = fc
  .oneof(fc.integer({ min: 0, max: 8.64e15 }), fc.integer({ min: 1.7e12, max: 1.9e12 }), fc.constant(0))
  .map((ms) => ({ ts: ms, wholeMs: ms, fracMs: 0 }));

/**
 * ISO 8601 with an offset (Z, +hh:mm, -hhmm), minute, second or fraction precision (1 to 9 digits),
 * local time anywhere from 1969 (ahead of UTC on the epoch's day) to 9999.
 */
const isoWithOffset: fc.Arbitrary<GeneratedTime> = fc
  .record({
    instantMin: fc.integer({ min: 0, max: Math.floor(Date.UTC(9999, 11, 30) / 60_000) }),
    seconds: fc.option(fc.integer({ min: 0, max: 59 })),
    fraction: fc.option(fc.stringMatching(/^[0-9]{1,9}$/)),
    offsetMin: fc.oneof(fc.constant(0), fc.integer({ min: -(23 * 60 + 59), max: 23 * 60 + 59 })),
    style: fc.constantFrom('Z', 'colon', 'plain'),
  })
  .map(({ instantMin, seconds, fraction, offsetMin, style }) => {
    const offset = style === 'Z' ? 0 : offsetMin;
    const local = new Date(instantMin * 60_000 + offset * 60_000);
    let text =
      `${pad(local.getUTCFullYear(), 4)}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}` +
      `T${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}`;
    let wholeMs = instantMin * 60_000;
    let fracMs = 0;
    if (seconds !== null) {
      text += `:${pad(seconds)}`;
      wholeMs += seconds * 1000;
      if (fraction !== null) {
        text += `.${fraction}`;
        const digits = fraction.padEnd(9, '0');
        wholeMs += Number(digits.slice(0, 3));
        fracMs = Number(`0.${digits.slice(3)}`);
      }
    }
    if (style === 'Z') text += 'Z';
    else {
      const sign = offset < 0 ? '-' : '+';
      const abs = Math.abs(offset);
      text += `${sign}${pad(Math.floor(abs / 60))}${style === 'colon' ? ':' : ''}${pad(abs % 60)}`;
    }
    return { ts: text, wholeMs, fracMs };
  });

const real = (min: number, max: number) =>
  fc.oneof(
    { weight: 8, arbitrary: fc.double({ min, max, noNaN: true }) },
    { weight: 1, arbitrary: fc.constantFrom(...[min, max].filter(Number.isFinite)) },
  );

/** Fields a sample may carry besides the contract's: ignored however they look (NUL aside: it refuses). */
const unknownFields = fc.dictionary(
  fc
    .string({ maxLength: 12 })
    .filter((k) => !FIELDS.includes(k) && k !== '__proto__' && !k.includes('\u0000')),
  fc.jsonValue({ maxDepth: 3 }).filter((v) => !JSON.stringify(v).includes('\\u0000')),
  { maxKeys: 3 },
);

interface GeneratedSample {
  /** The object the car sends. */
  wire: Record<string, unknown>;
  time: GeneratedTime;
}

/**
 * A sample that keeps every rule of the contract: required fields in range, lat and lon not both 0,
 * each optional field absent, null or in range, and unknown fields.
 */
const validSample: fc.Arbitrary<GeneratedSample> = fc
  .record(
    {
      time: fc.oneof(epochMs, isoWithOffset),
      lat: fc.oneof({ weight: 6, arbitrary: real(-90, 90) }, { weight: 1, arbitrary: fc.constant(0) }),
      lon: fc.oneof({ weight: 6, arbitrary: real(-180, 180) }, { weight: 1, arbitrary: fc.constant(0) }),
      locked: fc.boolean(),
      seq: fc.oneof(fc.nat(), fc.constantFrom(0, Number.MAX_SAFE_INTEGER), fc.maxSafeNat()),
      accuracyM: real(0, 1e9),
      heading: real(0, 360),
      speedKmh: real(0, 400),
      odometerKm: real(0, 1e9),
      rangeKm: real(0, 1e5),
      fuelPct: real(0, 100),
      batteryPct: real(0, 100),
      ignition: fc.boolean(),
      doorsClosed: fc.boolean(),
      extra: unknownFields,
      nulls: fc.subarray([...OPTIONAL_FIELDS], { maxLength: 2 }),
    },
    { requiredKeys: ['time', 'lat', 'lon', 'locked', 'extra', 'nulls'] },
  )
  .filter((r) => !(r.lat === 0 && r.lon === 0))
  .map(({ time, extra, nulls, ...fields }) => {
    const wire: Record<string, unknown> = { ...extra, ...fields, ts: time.ts };
    // An optional field sent as null reads like an absent one.
    for (const f of nulls) wire[f] = null;
    // What the car puts on the wire: -0 goes out as 0.
    return { wire: JSON.parse(JSON.stringify(wire)) as Record<string, unknown>, time };
  });

/** The normalised sample the contract promises for a valid wire sample (tsMs checked apart). */
function expectedSample(wire: Record<string, unknown>): Omit<TelemetrySample, 'tsMs'> {
  const opt = <T>(field: string) => (wire[field] ?? null) as T | null;
  return {
    vehicleId: VEHICLE,
    seq: opt('seq'),
    lat: wire.lat as number,
    lon: wire.lon as number,
    accuracyM: opt('accuracyM'),
    headingDeg: opt('heading'),
    speedKmh: opt('speedKmh'),
    odometerKm: opt('odometerKm'),
    rangeKm: opt('rangeKm'),
    fuelPct: opt('fuelPct'),
    batteryPct: opt('batteryPct'),
    locked: wire.locked as boolean,
    ignition: opt('ignition'),
    doorsClosed: opt('doorsClosed'),
  };
}

/** The sample holds exactly the generated values, and its fix time is the generated instant. */
function expectSameValues(sample: TelemetrySample, generated: GeneratedSample): void {
  const { tsMs, ...rest } = sample;
  expect(rest).toEqual(expectedSample(generated.wire));
  expect(Number.isSafeInteger(tsMs)).toBe(true);
  // ISO fractions below a millisecond cannot be kept: within 1 ms of the instant named.
  expect(Math.abs(tsMs - generated.time.wholeMs - generated.time.fracMs)).toBeLessThan(1);
}

// ---------------------------------------------------------------------------------------------
// Generators of invalid field values, as raw JSON text (so that 1e400, which JSON.parse reads as
// Infinity, and integers beyond 2^53 can be sent as a car would).

const tok = (v: unknown) => JSON.stringify(v);
const NOT_A_NUMBER = [
  '1e400',
  '-1e400',
  tok('NaN'),
  tok('Infinity'),
  tok('-Infinity'),
  tok('52.5'),
  tok(''),
  'true',
  'false',
  '[]',
  '[52.5]',
  '{}',
  '{"value":1}',
];
const above = (max: number) =>
  fc.double({ min: max, max: 1e300, minExcluded: true, noNaN: true }).filter((v) => v > max);
const below = (min: number) =>
  fc.double({ min: -1e300, max: min, maxExcluded: true, noNaN: true }).filter((v) => v < min);

/** Breaks an ISO time generated valid in one of the ways a bad clock or formatter does. */
const brokenIso = fc.oneof(
  isoWithOffset.map(({ ts }) => (ts as string).replace(/(Z|[+-]\d{2}:?\d{2})$/, '')), // no offset
  isoWithOffset.map(({ ts }) => (ts as string).slice(0, 10)), // date only
  // A day the month lacks (Feb 29 of a common year, Feb 30, Apr 31...): Date.parse rolls these over.
  {
    weight: 3,
    arbitrary: fc
      .record({ year: fc.integer({ min: 1970, max: 9999 }), month: fc.constantFrom(2, 4, 6, 9, 11) })
      .chain(({ year, month }) => {
        const days = new Date(Date.UTC(year, month, 0)).getUTCDate();
        return fc
          .integer({ min: days + 1, max: 31 })
          .map((day) => `${pad(year, 4)}-${pad(month)}-${pad(day)}T10:00:00Z`);
      }),
  },
  fc.integer({ min: 13, max: 99 }).map((m) => `2026-${pad(m)}-01T10:00:00Z`),
  fc.constantFrom('2026-00-10T10:00:00Z', '2026-01-00T10:00:00Z'),
  fc.integer({ min: 25, max: 99 }).map((h) => `2026-01-01T${pad(h)}:00:00Z`),
  fc.integer({ min: 60, max: 99 }).map((m) => `2026-01-01T10:${pad(m)}:00Z`),
  fc.integer({ min: 61, max: 99 }).map((s) => `2026-01-01T10:00:${pad(s)}Z`),
  fc.integer({ min: 24, max: 99 }).map((h) => `2026-01-01T10:00:00+${pad(h)}:00`),
  fc.integer({ min: 60, max: 99 }).map((m) => `2026-01-01T10:00:00-05:${pad(m)}`),
  fc.constantFrom(
    '1969-12-31T23:59:59Z', // before the epoch
    '1970-01-01T00:30:00+01:00',
    '2026-01-01T10:00:00.Z',
    'now',
    'yesterday',
    '',
    'NaN',
    '2026-01-01T10:00:00Z garbage',
  ),
);

/** A field of a valid sample and what to send instead (raw JSON text, or undefined to leave it out). */
interface Breakage {
  field: string;
  token: string | undefined;
  /** What the reject's details must name. */
  named: RegExp;
}

const breakField = (field: string, tokens: fc.Arbitrary<string | undefined>): fc.Arbitrary<Breakage> =>
  tokens.map((token) => ({ field, token, named: new RegExp(`\\b${field}\\b`) }));

const numberBreakage = (field: string, min: number, max: number, required: boolean) =>
  breakField(
    field,
    fc.oneof(
      below(min).map(tok),
      ...(Number.isFinite(max) ? [above(max).map(tok)] : []),
      fc.constantFrom(...NOT_A_NUMBER, ...(required ? ['null'] : [])),
    ),
  );

const oneFieldBroken: fc.Arbitrary<Breakage> = fc.oneof(
  // The fix time has the most ways to go wrong: more of the runs go to it.
  {
    weight: 4,
    arbitrary: breakField(
      'ts',
      fc.oneof(
        { weight: 4, arbitrary: brokenIso.map(tok) },
        fc.integer({ min: -8.64e15, max: -1 }).map(String),
        fc.integer({ min: 0, max: 2e12 }).map((n) => `${n}.5`),
        fc.integer({ min: 0, max: 2e12 }).map((n) => tok(String(n))), // epoch ms as a string
        fc.constantFrom('9007199254740992', '1e300', '1e400', 'null', 'true', '[]', '{}', '[1767261600000]'),
      ),
    ),
  },
  numberBreakage('lat', -90, 90, true),
  numberBreakage('lon', -180, 180, true),
  breakField(
    'locked',
    fc.constantFrom('null', tok('true'), tok('false'), '1', '0', '[]', '{}', tok('locked')),
  ),
  breakField(
    'seq',
    fc.oneof(
      fc.integer({ min: -Number.MAX_SAFE_INTEGER, max: -1 }).map(String),
      fc.nat().map((n) => `${n}.25`),
      fc.constantFrom('9007199254740992', '1e20', '1e400', tok('7'), 'true', '[]', '{}', tok('NaN')),
    ),
  ),
  ...OPTIONAL_NUMBERS.map(([field, max]) => numberBreakage(field, 0, max, false)),
  ...OPTIONAL_BOOLEANS.map((field) =>
    breakField(field, fc.constantFrom(tok('yes'), tok('true'), '1', '0', '[]', '{}', tok(''))),
  ),
  fc
    .constantFrom('ts', 'lat', 'lon', 'locked')
    .map((field) => ({ field, token: undefined, named: new RegExp(`\\b${field}\\b`) })),
  fc.constant<Breakage>({ field: 'lon', token: '0', named: /both be 0/ }), // with lat set to 0 below
);

/** The JSON text of a valid sample with one field broken (the broken field written last). */
function brokenText(wire: Record<string, unknown>, b: Breakage): string {
  const rest: Record<string, unknown> = { ...wire };
  delete rest[b.field];
  if (b.named.source === 'both be 0') rest.lat = 0;
  const text = JSON.stringify(rest);
  if (b.token === undefined) return text;
  const body = text.slice(1, -1);
  return `{${body}${body ? ',' : ''}${JSON.stringify(b.field)}:${b.token}}`;
}

// ---------------------------------------------------------------------------------------------

describe('parseTelemetryPayload, property-based (CONTRACT.md section 1)', () => {
  describe('never throws and accounts for the whole message', () => {
    it('on arbitrary bytes and text', () => {
      fc.assert(
        fc.property(
          fc.oneof(
            fc.uint8Array({ maxLength: 512 }).map((a) => Buffer.from(a)),
            fc.string({ unit: 'binary', maxLength: 200 }).map((s) => Buffer.from(s)),
            fc.string({ unit: 'grapheme', maxLength: 200 }).map((s) => Buffer.from(s)),
          ),
          (payload) => expectAccountedFor(payload, parseBytes(payload)),
        ),
        { numRuns: 400 },
      );
    });

    it('on arbitrary JSON values (fc.jsonValue, fc.anything), alone and as array items', () => {
      const anyJson = fc.oneof(
        fc.jsonValue(),
        fc.anything({ withNullPrototype: true, withObjectString: true }).map((v) => {
          const text = JSON.stringify(v);
          return text === undefined ? null : (JSON.parse(text) as unknown);
        }),
      );
      fc.assert(
        fc.property(
          fc.oneof(anyJson, fc.array(anyJson, { minLength: 1, maxLength: 8 })),
          fc.boolean(),
          (value, pretty) => {
            const payload = Buffer.from(JSON.stringify(value, null, pretty ? 2 : undefined));
            const result = parseBytes(payload);
            expectAccountedFor(payload, result);
          },
        ),
        { numRuns: 400 },
      );
    });

    it('on valid messages with random bytes inserted, deleted or overwritten', () => {
      const edit = fc.record({
        at: fc.nat(),
        op: fc.constantFrom('insert', 'delete', 'set'),
        byte: fc.integer({ min: 0, max: 255 }),
      });
      fc.assert(
        fc.property(
          fc.oneof(
            validSample.map((s) => s.wire),
            fc.array(
              validSample.map((s) => s.wire),
              { minLength: 1, maxLength: 4 },
            ),
          ),
          fc.array(edit, { minLength: 1, maxLength: 4 }),
          (value, edits) => {
            const bytes = [...Buffer.from(JSON.stringify(value))];
            for (const { at, op, byte } of edits) {
              const i = at % (bytes.length + 1);
              if (op === 'insert') bytes.splice(i, 0, byte);
              else if (op === 'delete') bytes.splice(i, 1);
              else bytes[Math.min(i, bytes.length - 1)] = byte;
            }
            const payload = Buffer.from(bytes);
            expectAccountedFor(payload, parseBytes(payload));
          },
        ),
        { numRuns: 400 },
      );
    });

    it('on deeply nested arrays and objects (10,000 to 200,000 levels), wherever they sit', () => {
      const valid = '"ts":"2026-01-01T10:00:00Z","lat":52.5,"lon":13.4,"locked":true';
      const nest = (kind: 'array' | 'object', depth: number, closed: boolean) =>
        kind === 'array'
          ? '['.repeat(depth) + (closed ? ']'.repeat(depth) : '')
          : '{"a":'.repeat(depth) + (closed ? '"\\u0000"' + '}'.repeat(depth) : '');
      fc.assert(
        fc.property(
          fc.constantFrom('array', 'object'),
          fc.integer({ min: 10_000, max: 200_000 }),
          fc.boolean(),
          fc.constantFrom('message', 'unknown field', 'lat', 'array item', 'field of an array item'),
          (kind, depth, closed, where) => {
            const deep = nest(kind, depth, closed);
            const text = {
              message: deep,
              'unknown field': `{${valid},"x":${deep}}`,
              lat: `{${valid},"lat":${deep}}`,
              'array item': `[{${valid}},${deep}]`,
              'field of an array item': `[{${valid},"locked":${deep}},{${valid},"seq":1}]`,
            }[where];
            const payload = Buffer.from(text);
            const result = parseBytes(payload, LIFTED);
            expectAccountedFor(payload, result, LIFTED);
            if (!closed) expect(result.rejects.map((r) => r.reason)).toEqual([RejectReason.MalformedJson]);
          },
        ),
        { numRuns: 40 },
      );
    });

    it('rejects a 10,000-level message within the default size limit for what it is', () => {
      const arrays = parseText('['.repeat(10_000) + ']'.repeat(10_000));
      expect(arrays.samples).toEqual([]);
      expect(arrays.rejects).toMatchObject([{ reason: RejectReason.SchemaViolation, sampleIndex: 0 }]);
      const objects = parseText('{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000));
      expect(objects.samples).toEqual([]);
      expect(objects.rejects).toMatchObject([{ reason: RejectReason.SchemaViolation, sampleIndex: null }]);
      // An unknown field however deep is ignored: the fix is kept.
      const inField = parseText(
        `{"ts":1767261600000,"lat":52.5,"lon":13.4,"locked":false,"x":${'['.repeat(10_000)}${']'.repeat(10_000)}}`,
      );
      expect(inField.rejects).toEqual([]);
      expect(inField.samples.map((s) => [s.tsMs, s.lat, s.lon, s.locked])).toEqual([
        [1767261600000, 52.5, 13.4, false],
      ]);
    });

    it('rejects every payload over the size limit as a whole with PAYLOAD_TOO_LARGE, valid JSON or not', () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 1024, max: 8192 }),
          fc.integer({ min: 1, max: 4096 }),
          fc.oneof(fc.constant('valid'), fc.constant('bytes'), fc.constant('array')),
          (limit, over, content) => {
            const limits: TelemetryLimits = { maxPayloadBytes: limit, maxSamplesPerMessage: 1000 };
            const size = limit + over;
            let payload: Buffer;
            if (content === 'bytes') payload = Buffer.alloc(size, 0x7b);
            else {
              const one = '{"ts":1767261600000,"lat":52.5,"lon":13.4,"locked":true}';
              const text =
                content === 'valid'
                  ? one
                  : `[${Array(Math.ceil(size / one.length))
                      .fill(one)
                      .join(',')}]`;
              payload = Buffer.from(text + ' '.repeat(Math.max(0, size - text.length)));
            }
            expect(payload.length).toBeGreaterThan(limit);
            const result = parseBytes(payload, limits);
            expect(result.samples).toEqual([]);
            expect(result.rejects).toHaveLength(1);
            expect(result.rejects[0]).toMatchObject({
              reason: RejectReason.PayloadTooLarge,
              sampleIndex: null,
            });
            expect(result.rejects[0].details).toContain(String(payload.length));
            expect(result.rejects[0].details).toContain(String(limit));
            expect(result.rejects[0].raw.equals(payload)).toBe(true);
          },
        ),
        { numRuns: 100 },
      );
    });

    it('takes a valid sample padded up to the limit (counted in bytes) and refuses it one byte over', () => {
      fc.assert(
        fc.property(
          validSample,
          fc.constantFrom('x', 'é', '€', '😀'),
          fc.integer({ min: 0, max: 2048 }),
          (s, char, slack) => {
            const text = JSON.stringify({ ...s.wire, pad: char.repeat(300) });
            const bytes = Buffer.byteLength(text);
            const atLimit = { maxPayloadBytes: bytes + slack, maxSamplesPerMessage: 1000 };
            expect(parseText(text, atLimit).samples).toHaveLength(1);
            const under = { maxPayloadBytes: bytes - 1, maxSamplesPerMessage: 1000 };
            expect(parseText(text, under).rejects.map((r) => r.reason)).toEqual([
              RejectReason.PayloadTooLarge,
            ]);
          },
        ),
        { numRuns: 100 },
      );
    });

    it('handles huge strings: several MB over the default limit, and within a lifted one', () => {
      const huge = 'é'.repeat(3 * 1024 * 1024); // 6 MiB of UTF-8
      const sample = '"ts":1767261600000,"lat":52.5,"lon":13.4,"locked":true';
      const over = parseText(`{${sample},"note":"${huge}"}`);
      expect(over.rejects.map((r) => r.reason)).toEqual([RejectReason.PayloadTooLarge]);

      expect(parseText(`{${sample},"note":"${huge}"}`, LIFTED).samples).toHaveLength(1);
      const asString = Buffer.from(JSON.stringify(huge));
      const rejected = parseBytes(asString, LIFTED);
      expectAccountedFor(asString, rejected, LIFTED);
      expect(rejected.rejects.map((r) => r.reason)).toEqual([RejectReason.SchemaViolation]);
      const asTs = parseText(`{${sample.replace('1767261600000', `"${huge}"`)}}`, LIFTED);
      expect(asTs.rejects.map((r) => r.reason)).toEqual([RejectReason.SchemaViolation]);
    });
  });

  describe('valid samples are kept with exactly their values', () => {
    it('a single sample (ts as ISO with offset or epoch ms, optional fields absent, null or in range)', () => {
      fc.assert(
        fc.property(validSample, (s) => {
          const payload = Buffer.from(JSON.stringify(s.wire));
          const result = parseBytes(payload);
          expect(result.rejects).toEqual([]);
          expect(result.sampleIndexes).toEqual([null]);
          expectSameValues(result.samples[0], s);
        }),
        { numRuns: 1000 },
      );
    });

    it('the same samples in an array of up to 1000, in order, each with its index', () => {
      fc.assert(
        fc.property(
          fc.array(validSample, { minLength: 1, maxLength: 25 }),
          fc.oneof(fc.constant(1000), fc.integer({ min: 1, max: 1000 })),
          (samples, length) => {
            const items = Array.from({ length }, (_, i) => samples[i % samples.length]);
            const payload = Buffer.from(JSON.stringify(items.map((s) => s.wire)));
            const result = parseBytes(payload, LIFTED);
            expect(result.rejects).toEqual([]);
            expect(result.sampleIndexes).toEqual(items.map((_, i) => i));
            result.samples.forEach((sample, i) => expectSameValues(sample, items[i]));
          },
        ),
        { numRuns: 15 },
      );
    });

    it('an array up to a configured limit is kept; one more sample and the whole message is rejected', () => {
      fc.assert(
        fc.property(
          fc.array(validSample, { minLength: 1, maxLength: 10 }),
          fc.integer({ min: 1, max: 60 }),
          fc.integer({ min: 1, max: 20 }),
          (samples, limit, over) => {
            const limits: TelemetryLimits = {
              maxPayloadBytes: LIFTED.maxPayloadBytes,
              maxSamplesPerMessage: limit,
            };
            const wires = (n: number) =>
              Array.from({ length: n }, (_, i) => samples[i % samples.length].wire);
            expect(parseBytes(Buffer.from(JSON.stringify(wires(limit))), limits).samples).toHaveLength(limit);

            const tooMany = Buffer.from(JSON.stringify(wires(limit + over)));
            const result = parseBytes(tooMany, limits);
            expect(result.samples).toEqual([]);
            expect(result.sampleIndexes).toEqual([]);
            expect(result.rejects).toHaveLength(1);
            expect(result.rejects[0]).toMatchObject({ reason: RejectReason.BatchSize, sampleIndex: null });
            expect(result.rejects[0].details).toContain(String(limit + over));
            expect(result.rejects[0].raw.equals(tooMany)).toBe(true);
          },
        ),
        { numRuns: 60 },
      );
    });

    it('an array over the default limit of 1000 is rejected whole (BATCH_SIZE, or PAYLOAD_TOO_LARGE first)', () => {
      fc.assert(
        fc.property(validSample, fc.integer({ min: 1001, max: 1500 }), (s, length) => {
          const payload = Buffer.from(JSON.stringify(Array(length).fill(s.wire)));
          const result = parseBytes(payload);
          expect(result.samples).toEqual([]);
          expect(result.rejects).toHaveLength(1);
          expect(result.rejects[0].sampleIndex).toBeNull();
          expect([RejectReason.BatchSize, RejectReason.PayloadTooLarge]).toContain(result.rejects[0].reason);
          expect(parseBytes(payload, LIFTED).rejects.map((r) => r.reason)).toEqual([RejectReason.BatchSize]);
        }),
        { numRuns: 10 },
      );
    });
  });

  describe('a valid sample with one field broken is rejected with its reason and never kept', () => {
    it('alone: one SCHEMA_VIOLATION naming the field, for the whole message', () => {
      fc.assert(
        fc.property(validSample, oneFieldBroken, (s, broken) => {
          const payload = Buffer.from(brokenText(s.wire, broken));
          const result = parseBytes(payload);
          expect(result.samples).toEqual([]);
          expect(result.sampleIndexes).toEqual([]);
          expect(result.rejects).toHaveLength(1);
          const [reject] = result.rejects;
          expect(reject).toMatchObject({ reason: RejectReason.SchemaViolation, sampleIndex: null });
          expect(reject.details).toMatch(broken.named);
          expect(reject.raw.equals(payload)).toBe(true);
        }),
        { numRuns: 1500 },
      );
    });

    it('among valid samples of an array: only it is rejected, with its index; the others keep their values', () => {
      fc.assert(
        fc.property(
          fc.array(validSample, { minLength: 1, maxLength: 6 }),
          oneFieldBroken,
          fc.nat(),
          (samples, broken, at) => {
            const bad = at % samples.length;
            const text = `[${samples.map((s, i) => (i === bad ? brokenText(s.wire, broken) : JSON.stringify(s.wire))).join(',')}]`;
            const result = parseText(text);
            const good = samples.map((_, i) => i).filter((i) => i !== bad);
            expect(result.sampleIndexes).toEqual(good);
            good.forEach((i, k) => expectSameValues(result.samples[k], samples[i]));
            expect(result.rejects).toHaveLength(1);
            expect(result.rejects[0]).toMatchObject({
              reason: RejectReason.SchemaViolation,
              sampleIndex: bad,
            });
            expect(result.rejects[0].details).toMatch(broken.named);
          },
        ),
        { numRuns: 300 },
      );
    });
  });

  describe('the fast path (plainlyValidSample) agrees with class-validator and the contract', () => {
    /** A valid sample, or one with a field broken, left out or set to null. */
    const nearValid = fc.oneof(
      validSample.map((s) => ({ s, text: JSON.stringify(s.wire), valid: true })),
      fc
        .tuple(validSample, oneFieldBroken)
        .map(([s, b]) => ({ s, text: brokenText(s.wire, b), valid: false })),
    );
    const dtoAccepts = (o: Record<string, unknown>) =>
      validateSync(sampleDto(o), { forbidUnknownValues: false }).length === 0;

    it('same verdict from the parser, class-validator alone and the contract; the fast path says yes only when they do', () => {
      let fast = 0;
      fc.assert(
        fc.property(nearValid, ({ text, valid }) => {
          const parsed = JSON.parse(text) as Record<string, unknown>;
          const result = parseText(text);
          expect(result.samples.length === 1).toBe(valid);
          expect(dtoAccepts(parsed)).toBe(valid);
          if (plainlyValidSample(parsed)) {
            fast++;
            expect(valid).toBe(true);
          }
          // Every valid sample without nulls goes the fast way.
          if (valid && !FIELDS.some((f) => parsed[f] === null)) expect(plainlyValidSample(parsed)).toBe(true);
        }),
        { numRuns: 1500 },
      );
      expect(fast).toBeGreaterThan(100);
    });

    it('gives the same sample the fast way as the long way (an absent optional field sent as null forces it)', () => {
      fc.assert(
        fc.property(validSample, fc.constantFrom(...OPTIONAL_FIELDS), (s, field) => {
          const fastWire = Object.fromEntries(Object.entries(s.wire).filter(([, v]) => v !== null));
          fc.pre(fastWire[field] === undefined);
          const longWire = { ...fastWire, [field]: null };
          expect(plainlyValidSample(fastWire)).toBe(true);
          expect(plainlyValidSample(longWire)).toBe(false);
          const fastResult = parseText(JSON.stringify(fastWire));
          const longResult = parseText(JSON.stringify(longWire));
          expect(longResult).toEqual(fastResult);
          expectSameValues(fastResult.samples[0], { wire: fastWire, time: s.time });
        }),
        { numRuns: 500 },
      );
    });
  });
});

describe('parseJsonMessage (status, command results), property-based', () => {
  it('never throws on arbitrary text and gives details PostgreSQL can store', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 50 }), (text) => {
        const parsed = parseJsonMessage(VehicleStatusDto, Buffer.from(text), 'status');
        if (!parsed.ok) {
          expect([RejectReason.MalformedJson, RejectReason.SchemaViolation]).toContain(parsed.reason);
          expect(wellFormed(parsed.details)).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
    const emoji = parseJsonMessage(VehicleStatusDto, Buffer.from('😀'), 'status');
    expect(emoji).toMatchObject({ ok: false, reason: RejectReason.MalformedJson });
    expect(!emoji.ok && wellFormed(emoji.details)).toBe(true);
  });
});
