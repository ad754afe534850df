import fc from 'fast-check';
import {
  DEFAULT_TELEMETRY_LIMITS,
  parseTelemetryPayload,
  ParsedTelemetry,
  RejectReason,
  TelemetryLimits,
  TelemetrySample,
} from '@fleet/contracts';

const VEHICLE = 'car-1';
/** 2026-01-01T10:00:00Z */
const T0 = Date.UTC(2026, 0, 1, 10, 0, 0);

const VALID = { ts: '2026-01-01T10:00:00Z', lat: 52.52, lon: 13.405, locked: true } as const;

const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));
const parse = (value: unknown, limits?: TelemetryLimits): ParsedTelemetry =>
  parseTelemetryPayload(VEHICLE, json(value), limits);
const parseText = (text: string, limits?: TelemetryLimits): ParsedTelemetry =>
  parseTelemetryPayload(VEHICLE, Buffer.from(text, 'utf8'), limits);

/** `VALID` with some fields replaced; a field set to `undefined` is left out of the JSON. */
const withFields = (fields: Record<string, unknown>): Record<string, unknown> => ({ ...VALID, ...fields });

/** Violations of CONTRACT.md section 1 in a sample the parser returned (empty when it is valid). */
function contractProblems(s: TelemetrySample): string[] {
  const problems: string[] = [];
  const finite = (v: number) => Number.isFinite(v);
  const inRange = (name: string, v: number | null, min: number, max = Infinity) => {
    if (v !== null && !(finite(v) && v >= min && v <= max)) problems.push(`${name}=${v}`);
  };
  if (s.vehicleId !== VEHICLE) problems.push(`vehicleId=${s.vehicleId}`);
  if (!Number.isSafeInteger(s.tsMs)) problems.push(`tsMs=${s.tsMs}`);
  inRange('lat', s.lat, -90, 90);
  inRange('lon', s.lon, -180, 180);
  if (s.lat === 0 && s.lon === 0) problems.push('null island');
  if (typeof s.locked !== 'boolean') problems.push('locked');
  if (s.seq !== null && !(Number.isSafeInteger(s.seq) && s.seq >= 0)) problems.push(`seq=${s.seq}`);
  inRange('accuracyM', s.accuracyM, 0);
  inRange('headingDeg', s.headingDeg, 0, 360);
  inRange('speedKmh', s.speedKmh, 0, 400);
  inRange('odometerKm', s.odometerKm, 0);
  inRange('rangeKm', s.rangeKm, 0);
  inRange('fuelPct', s.fuelPct, 0, 100);
  inRange('batteryPct', s.batteryPct, 0, 100);
  if (s.ignition !== null && typeof s.ignition !== 'boolean') problems.push('ignition');
  if (s.doorsClosed !== null && typeof s.doorsClosed !== 'boolean') problems.push('doorsClosed');
  return problems;
}

describe('parseTelemetryPayload', () => {
  describe('a valid single sample', () => {
    it('normalises every field, with the original names mapped (heading -> headingDeg)', () => {
      const result = parse({
        ts: '2026-01-01T11:00:00+01:00',
        lat: 52.5163,
        lon: 13.3777,
        locked: false,
        seq: 42,
        accuracyM: 4.5,
        heading: 270,
        speedKmh: 35.5,
        odometerKm: 12345.6,
        rangeKm: 310,
        fuelPct: 55,
        batteryPct: 88.5,
        ignition: true,
        doorsClosed: false,
      });
      expect(result.rejects).toEqual([]);
      expect(result.sampleIndexes).toEqual([null]);
      expect(result.samples).toEqual<TelemetrySample[]>([
        {
          vehicleId: VEHICLE,
          tsMs: T0,
          seq: 42,
          lat: 52.5163,
          lon: 13.3777,
          accuracyM: 4.5,
          headingDeg: 270,
          speedKmh: 35.5,
          odometerKm: 12345.6,
          rangeKm: 310,
          fuelPct: 55,
          batteryPct: 88.5,
          locked: false,
          ignition: true,
          doorsClosed: false,
        },
      ]);
    });

    it('gives null for every absent optional field', () => {
      const { samples, rejects } = parse(VALID);
      expect(rejects).toEqual([]);
      expect(samples).toEqual<TelemetrySample[]>([
        {
          vehicleId: VEHICLE,
          tsMs: T0,
          seq: null,
          lat: 52.52,
          lon: 13.405,
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
        },
      ]);
    });

    it.each<[string, string | number, number]>([
      ['ISO with Z', '2026-01-01T10:00:00Z', T0],
      ['ISO with +01:00', '2026-01-01T11:00:00+01:00', T0],
      ['ISO with -05:30', '2026-01-01T04:30:00-05:30', T0],
      ['ISO with +0100 (no colon)', '2026-01-01T11:00:00+0100', T0],
      ['ISO with milliseconds', '2026-01-01T10:00:00.250Z', T0 + 250],
      ['ISO without seconds', '2026-01-01T10:00Z', T0],
      ['epoch milliseconds', T0, T0],
      ['epoch milliseconds 0', 0, 0],
    ])('accepts ts as %s and gives the right tsMs', (_name, ts, tsMs) => {
      const { samples, rejects } = parse(withFields({ ts }));
      expect(rejects).toEqual([]);
      expect(samples.map((s) => s.tsMs)).toEqual([tsMs]);
    });

    it('reads any ISO time with offset as the same instant as epoch milliseconds', () => {
      fc.assert(
        fc.property(
          fc.date({ min: new Date(0), max: new Date('9999-12-31T23:59:59.999Z'), noInvalidDate: true }),
          (date) => {
            const iso = parse(withFields({ ts: date.toISOString() }));
            const epoch = parse(withFields({ ts: date.getTime() }));
            expect(iso.samples.map((s) => s.tsMs)).toEqual([date.getTime()]);
            expect(epoch.samples.map((s) => s.tsMs)).toEqual([date.getTime()]);
          },
        ),
      );
    });

    it.each<[string, Record<string, unknown>]>([
      ['lat 90, lon 180', { lat: 90, lon: 180 }],
      ['lat -90, lon -180', { lat: -90, lon: -180 }],
      ['lat 0 with lon not 0', { lat: 0, lon: 13.4 }],
      ['lon 0 with lat not 0', { lat: 51.48, lon: 0 }],
      ['seq 0', { seq: 0 }],
      ['seq Number.MAX_SAFE_INTEGER', { seq: Number.MAX_SAFE_INTEGER }],
      ['heading 0 and speed 0', { heading: 0, speedKmh: 0 }],
      ['heading 360 and speed 400', { heading: 360, speedKmh: 400 }],
      ['fuel and battery at 0', { fuelPct: 0, batteryPct: 0 }],
      ['fuel and battery at 100', { fuelPct: 100, batteryPct: 100 }],
      ['accuracy, odometer and range at 0', { accuracyM: 0, odometerKm: 0, rangeKm: 0 }],
    ])('accepts the boundary values %s', (_name, fields) => {
      const { samples, rejects } = parse(withFields(fields));
      expect(rejects).toEqual([]);
      expect(samples).toHaveLength(1);
    });

    it('treats an optional field sent as null like an absent one', () => {
      const { samples, rejects } = parse(withFields({ heading: null, seq: null, ignition: null }));
      expect(rejects).toEqual([]);
      expect(samples[0]).toMatchObject({ headingDeg: null, seq: null, ignition: null });
    });

    it('ignores unknown fields', () => {
      const { samples, rejects } = parse(
        withFields({
          firmware: '1.2.3',
          extra: { nested: [1, 2, 3] },
          headingDeg: 999,
          vehicleId: 'other-car',
        }),
      );
      expect(rejects).toEqual([]);
      expect(samples).toHaveLength(1);
      expect(samples[0]).not.toHaveProperty('firmware');
      expect(samples[0]).not.toHaveProperty('extra');
      // A field named like the normalised one does not leak into it, nor can a sample rename its car.
      expect(samples[0].headingDeg).toBeNull();
      expect(samples[0].vehicleId).toBe(VEHICLE);
    });
  });

  describe('field rules of the contract', () => {
    it.each<[string, Record<string, unknown>, string[]]>([
      ['lat 91', { lat: 91 }, ['lat']],
      ['lat -91', { lat: -91 }, ['lat']],
      ['lon 181', { lon: 181 }, ['lon']],
      ['lon -181', { lon: -181 }, ['lon']],
      ['lat and lon both 0', { lat: 0, lon: 0 }, ['lat', 'lon']],
      ['lat as a string', { lat: '52.5' }, ['lat']],
      ['lat null', { lat: null }, ['lat']],
      ['locked as a string', { locked: 'true' }, ['locked']],
      ['locked as 1', { locked: 1 }, ['locked']],
      ['missing ts', { ts: undefined }, ['ts']],
      ['missing lat', { lat: undefined }, ['lat']],
      ['missing lon', { lon: undefined }, ['lon']],
      ['missing locked', { locked: undefined }, ['locked']],
      ['seq -1', { seq: -1 }, ['seq']],
      ['seq 1.5', { seq: 1.5 }, ['seq']],
      ['seq as a string', { seq: '7' }, ['seq']],
      ['heading 361', { heading: 361 }, ['heading']],
      ['heading -1', { heading: -1 }, ['heading']],
      ['speedKmh 401', { speedKmh: 401 }, ['speedKmh']],
      ['speedKmh -1', { speedKmh: -1 }, ['speedKmh']],
      ['fuelPct 101', { fuelPct: 101 }, ['fuelPct']],
      ['fuelPct -1', { fuelPct: -1 }, ['fuelPct']],
      ['batteryPct -1', { batteryPct: -1 }, ['batteryPct']],
      ['batteryPct 101', { batteryPct: 101 }, ['batteryPct']],
      ['accuracyM -1', { accuracyM: -1 }, ['accuracyM']],
      ['odometerKm -1', { odometerKm: -1 }, ['odometerKm']],
      ['rangeKm -1', { rangeKm: -1 }, ['rangeKm']],
      ['ignition "yes"', { ignition: 'yes' }, ['ignition']],
      ['doorsClosed 0', { doorsClosed: 0 }, ['doorsClosed']],
      ['ts "yesterday"', { ts: 'yesterday' }, ['ts']],
      ['ts ISO without offset', { ts: '2026-01-01T10:00:00' }, ['ts']],
      ['ts date only', { ts: '2026-01-01' }, ['ts']],
      ['ts with an impossible offset', { ts: '2026-01-01T10:00:00+99:99' }, ['ts']],
      ['ts -5', { ts: -5 }, ['ts']],
      ['ts 1.5 (not whole milliseconds)', { ts: 1.5 }, ['ts']],
      ['ts true', { ts: true }, ['ts']],
      ['ts epoch milliseconds as a string', { ts: String(T0) }, ['ts']],
    ])('rejects %s with SCHEMA_VIOLATION naming the field', (_name, fields, named) => {
      const payload = json(withFields(fields));
      const result = parseTelemetryPayload(VEHICLE, payload);
      expect(result.samples).toEqual([]);
      expect(result.sampleIndexes).toEqual([]);
      expect(result.rejects).toHaveLength(1);
      const [reject] = result.rejects;
      expect(reject.reason).toBe(RejectReason.SchemaViolation);
      expect(reject.sampleIndex).toBeNull();
      expect(reject.raw.equals(payload)).toBe(true);
      for (const field of named) expect(reject.details).toMatch(new RegExp(`\\b${field}\\b`));
    });

    it('names every broken field of one sample', () => {
      const [reject] = parse(withFields({ lat: 91, speedKmh: 401, ignition: 'yes' })).rejects;
      expect(reject.reason).toBe(RejectReason.SchemaViolation);
      expect(reject.details).toMatch(/\blat\b/);
      expect(reject.details).toMatch(/\bspeedKmh\b/);
      expect(reject.details).toMatch(/\bignition\b/);
    });

    it.each(['lat', 'lon', 'speedKmh', 'heading'])('rejects 1e400 (Infinity once parsed) as %s', (field) => {
      const text = `{"ts":"2026-01-01T10:00:00Z","lat":52.5,"lon":13.4,"locked":true,"${field}":1e400}`;
      const result = parseText(text);
      expect(result.samples).toEqual([]);
      expect(result.rejects).toHaveLength(1);
      expect(result.rejects[0].reason).toBe(RejectReason.SchemaViolation);
      expect(result.rejects[0].details).toContain(field);
    });

    it.each<[string, Record<string, unknown>]>([
      ['a string value', { note: 'a\u0000b' }],
      ['a nested string value', { extra: { list: ['ok', 'x\u0000'] } }],
      ['a key', { ['bad\u0000key']: 1 }],
    ])('rejects a NUL character (JSON escape \\u0000) in %s', (_name, fields) => {
      const payload = json(withFields(fields));
      expect(payload.includes(0)).toBe(false); // only the JSON escape, no raw NUL byte
      expect(payload.toString()).toContain('\\u0000');
      const result = parseTelemetryPayload(VEHICLE, payload);
      expect(result.samples).toEqual([]);
      expect(result.rejects).toHaveLength(1);
      expect(result.rejects[0].reason).toBe(RejectReason.SchemaViolation);
      expect(result.rejects[0].details).toMatch(/NUL/);
    });

    it.each<[string, Buffer]>([
      [
        'inside a string',
        Buffer.concat([
          Buffer.from('{"ts":"2026-01-01T10:00:00Z","lat":52.5,"lon":13.4,"locked":true,"note":"a'),
          Buffer.from([0]),
          Buffer.from('b"}'),
        ]),
      ],
      ['after the JSON', Buffer.concat([json(VALID), Buffer.from([0])])],
    ])('rejects a raw 0x00 byte %s with SCHEMA_VIOLATION for the whole message', (_name, payload) => {
      const result = parseTelemetryPayload(VEHICLE, payload);
      expect(result.samples).toEqual([]);
      expect(result.rejects).toHaveLength(1);
      expect(result.rejects[0]).toMatchObject({ reason: RejectReason.SchemaViolation, sampleIndex: null });
      expect(result.rejects[0].details).toMatch(/NUL/);
      expect(result.rejects[0].raw.equals(payload)).toBe(true);
    });
  });

  describe('whole-message rejects', () => {
    it.each<[string, Buffer]>([
      ['an empty payload', Buffer.alloc(0)],
      ['plain text', Buffer.from('hello car')],
      ['truncated JSON', Buffer.from('{"ts":"2026-01-01T10:00:00Z","lat":')],
      ['single quotes', Buffer.from("{'ts': 1, 'lat': 1, 'lon': 1, 'locked': true}")],
      ['NaN literal', Buffer.from('{"ts":1,"lat":NaN,"lon":1,"locked":true}')],
      ['a trailing comma', Buffer.from('[{"ts":1,"lat":1,"lon":1,"locked":true},]')],
      ['invalid UTF-8', Buffer.from([0xff, 0xfe, 0x7b, 0x7d])],
      ['10,000 unclosed [', Buffer.from('['.repeat(10_000))],
    ])('rejects %s as MALFORMED_JSON', (_name, payload) => {
      const result = parseTelemetryPayload(VEHICLE, payload);
      expect(result.samples).toEqual([]);
      expect(result.sampleIndexes).toEqual([]);
      expect(result.rejects).toHaveLength(1);
      expect(result.rejects[0]).toMatchObject({ reason: RejectReason.MalformedJson, sampleIndex: null });
      expect(result.rejects[0].details.length).toBeGreaterThan(0);
      expect(result.rejects[0].raw.equals(payload)).toBe(true);
    });

    /** A valid sample message of exactly `bytes` bytes (JSON padded with trailing spaces). */
    const validPayloadOf = (bytes: number): Buffer => {
      const text = JSON.stringify(VALID);
      expect(bytes).toBeGreaterThanOrEqual(text.length);
      return Buffer.from(text + ' '.repeat(bytes - text.length));
    };

    it('accepts a payload exactly at a custom size limit and rejects one byte more as PAYLOAD_TOO_LARGE', () => {
      const limits: TelemetryLimits = { maxPayloadBytes: 100, maxSamplesPerMessage: 1000 };
      expect(parseTelemetryPayload(VEHICLE, validPayloadOf(100), limits).samples).toHaveLength(1);

      const tooLarge = validPayloadOf(101);
      const result = parseTelemetryPayload(VEHICLE, tooLarge, limits);
      expect(result.samples).toEqual([]);
      expect(result.rejects).toHaveLength(1);
      expect(result.rejects[0]).toMatchObject({ reason: RejectReason.PayloadTooLarge, sampleIndex: null });
      expect(result.rejects[0].details).toContain('101');
      expect(result.rejects[0].details).toContain('100');
      expect(result.rejects[0].raw.equals(tooLarge)).toBe(true);
    });

    it('counts the limit in bytes, not characters', () => {
      const payload = json(withFields({ note: 'é'.repeat(40) })); // 2 bytes per é
      const limits: TelemetryLimits = {
        maxPayloadBytes: payload.toString().length + 10,
        maxSamplesPerMessage: 1000,
      };
      expect(payload.length).toBeGreaterThan(limits.maxPayloadBytes);
      expect(parseTelemetryPayload(VEHICLE, payload, limits).rejects[0]?.reason).toBe(
        RejectReason.PayloadTooLarge,
      );
    });

    it('applies the default limit of 256 KiB', () => {
      expect(DEFAULT_TELEMETRY_LIMITS.maxPayloadBytes).toBe(256 * 1024);
      expect(parseTelemetryPayload(VEHICLE, validPayloadOf(256 * 1024)).samples).toHaveLength(1);
      const result = parseTelemetryPayload(VEHICLE, validPayloadOf(256 * 1024 + 1));
      expect(result.samples).toEqual([]);
      expect(result.rejects.map((r) => r.reason)).toEqual([RejectReason.PayloadTooLarge]);
    });

    it('rejects an array of 1001 samples as BATCH_SIZE and keeps none of them', () => {
      const result = parse(Array.from({ length: 1001 }, (_, i) => withFields({ seq: i })));
      expect(result.samples).toEqual([]);
      expect(result.sampleIndexes).toEqual([]);
      expect(result.rejects).toHaveLength(1);
      expect(result.rejects[0]).toMatchObject({ reason: RejectReason.BatchSize, sampleIndex: null });
      expect(result.rejects[0].details).toContain('1001');
    });

    it('accepts an array of exactly 1000 samples', () => {
      const result = parse(Array.from({ length: 1000 }, (_, i) => withFields({ seq: i, ts: T0 + i })));
      expect(result.rejects).toEqual([]);
      expect(result.samples).toHaveLength(1000);
      expect(result.samples.map((s) => s.seq)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
      expect(result.sampleIndexes).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    });

    it('rejects an empty array as BATCH_SIZE', () => {
      const result = parse([]);
      expect(result.samples).toEqual([]);
      expect(result.rejects).toHaveLength(1);
      expect(result.rejects[0]).toMatchObject({ reason: RejectReason.BatchSize, sampleIndex: null });
    });

    it('applies a custom sample limit', () => {
      const limits: TelemetryLimits = { maxPayloadBytes: 256 * 1024, maxSamplesPerMessage: 3 };
      expect(parse([VALID, VALID, VALID], limits).samples).toHaveLength(3);
      expect(parse([VALID, VALID, VALID, VALID], limits).rejects.map((r) => r.reason)).toEqual([
        RejectReason.BatchSize,
      ]);
    });
  });

  describe('arrays of samples', () => {
    it('keeps the valid samples and rejects each invalid one with its array index', () => {
      const items: unknown[] = [
        withFields({ seq: 0 }),
        withFields({ seq: 1, lat: 91 }),
        5,
        withFields({ seq: 3, ts: T0 + 3000 }),
        null,
        [withFields({ seq: 5 })],
        'sample',
        withFields({ seq: 7, ignition: 'yes' }),
        withFields({ seq: 8, ts: '2026-01-01T10:00:08+00:00' }),
      ];
      const result = parse(items);

      expect(result.samples.map((s) => s.seq)).toEqual([0, 3, 8]);
      expect(result.sampleIndexes).toEqual([0, 3, 8]);
      expect(result.samples.map((s) => s.tsMs)).toEqual([T0, T0 + 3000, T0 + 8000]);

      expect(result.rejects.map((r) => r.sampleIndex)).toEqual([1, 2, 4, 5, 6, 7]);
      for (const reject of result.rejects) {
        expect(reject.reason).toBe(RejectReason.SchemaViolation);
        // The quarantine keeps the offending sample itself, not the whole message.
        expect(JSON.parse(reject.raw.toString())).toEqual(items[reject.sampleIndex!]);
      }
      expect(result.rejects.find((r) => r.sampleIndex === 1)?.details).toMatch(/\blat\b/);
      expect(result.rejects.find((r) => r.sampleIndex === 7)?.details).toMatch(/\bignition\b/);
      expect(result.rejects.find((r) => r.sampleIndex === 2)?.details).toMatch(/object/);
    });

    it('keeps an array whose samples are all valid, in order', () => {
      const result = parse([withFields({ seq: 2, ts: T0 + 2000 }), withFields({ seq: 1, ts: T0 + 1000 })]);
      expect(result.rejects).toEqual([]);
      expect(result.samples.map((s) => [s.seq, s.tsMs])).toEqual([
        [2, T0 + 2000],
        [1, T0 + 1000],
      ]);
      expect(result.sampleIndexes).toEqual([0, 1]);
    });
  });

  describe('non-object samples', () => {
    it.each<[string, string]>([
      ['a number', '42'],
      ['null', 'null'],
      ['a string', '"sample"'],
      ['a boolean', 'true'],
    ])('rejects %s as a single message with SCHEMA_VIOLATION', (_name, text) => {
      const result = parseText(text);
      expect(result.samples).toEqual([]);
      expect(result.rejects).toHaveLength(1);
      expect(result.rejects[0]).toMatchObject({ reason: RejectReason.SchemaViolation, sampleIndex: null });
      expect(result.rejects[0].details).toMatch(/object/);
    });

    it('rejects a nested array inside an array message as sample 0', () => {
      const result = parse([[VALID]]);
      expect(result.samples).toEqual([]);
      expect(result.rejects).toHaveLength(1);
      expect(result.rejects[0]).toMatchObject({ reason: RejectReason.SchemaViolation, sampleIndex: 0 });
    });
  });

  describe('never throws', () => {
    it('handles 10,000 levels of nesting inside a sample field', () => {
      const depth = 10_000;
      const text = `{"ts":"2026-01-01T10:00:00Z","lat":52.5,"lon":13.4,"locked":true,"x":${'['.repeat(depth)}${']'.repeat(depth)}}`;
      let result: ParsedTelemetry | undefined;
      expect(() => (result = parseText(text))).not.toThrow();
      // Unknown fields are ignored, however deep.
      expect(result?.samples).toHaveLength(1);
    });

    // KNOWN BUG (see report): a message that is 10,000 nested arrays (about 20 KB, well under the
    // 256 KiB limit) makes parseTelemetryPayload throw RangeError: the reject's raw copy is made with
    // JSON.stringify, which overflows the stack, and its fallback String(value) overflows too.
    it('rejects a message of 10,000 nested arrays without throwing', () => {
      const depth = 10_000;
      const result = parseText('['.repeat(depth) + ']'.repeat(depth));
      expect(result.samples).toEqual([]);
      expect(result.rejects).toHaveLength(1);
      expect(result.rejects[0]).toMatchObject({ reason: RejectReason.SchemaViolation, sampleIndex: 0 });
    });

    // KNOWN BUG (see report): a calendar-impossible ISO date is not rejected but silently rolled over
    // (Date.parse reads 2026-02-30 as 2026-03-02), so the fix is stored two days off.
    it('rejects an ISO time with a day that does not exist (2026-02-30)', () => {
      const result = parse(withFields({ ts: '2026-02-30T10:00:00Z' }));
      expect(result.samples).toEqual([]);
      expect(result.rejects[0]?.reason).toBe(RejectReason.SchemaViolation);
    });

    /** Checks the invariants every result must keep, whatever the payload. */
    const checkResult = (result: ParsedTelemetry) => {
      expect(result.samples).toHaveLength(result.sampleIndexes.length);
      for (const sample of result.samples) expect(contractProblems(sample)).toEqual([]);
      for (const reject of result.rejects) {
        expect(Object.values(RejectReason)).toContain(reject.reason);
        expect(Buffer.isBuffer(reject.raw)).toBe(true);
      }
      expect(result.samples.length + result.rejects.length).toBeGreaterThan(0);
    };

    it('for arbitrary text and bytes: never throws, every sample it returns keeps the contract', () => {
      fc.assert(
        fc.property(
          fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme-ascii' })),
          (text) => {
            checkResult(parseText(text));
          },
        ),
        { numRuns: 200 },
      );
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
          checkResult(parseTelemetryPayload(VEHICLE, Buffer.from(bytes)));
        }),
        { numRuns: 300 },
      );
    });

    it('for arbitrary JSON values: never throws, every sample it returns keeps the contract', () => {
      fc.assert(
        fc.property(fc.jsonValue(), (value) => {
          checkResult(parse(value));
        }),
        { numRuns: 300 },
      );
    });

    it('for sample-like objects with arbitrary field values: never throws, returned samples keep the contract', () => {
      const anyValue = fc.oneof(
        fc.double(),
        fc.integer(),
        fc.nat(),
        fc.double({ min: -500, max: 500, noNaN: true }),
        fc.boolean(),
        fc.string(),
        fc.constant(null),
        fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
        fc.constantFrom('2026-01-01T10:00:00Z', '2026-01-01T10:00:00', T0, -1, Infinity, -0),
      );
      // Mostly valid values, sometimes anything: keeps both valid and invalid samples frequent.
      const field = <T>(valid: fc.Arbitrary<T>) =>
        fc.oneof({ weight: 12, arbitrary: valid }, { weight: 1, arbitrary: anyValue });
      const real = (min: number, max: number) => fc.double({ min, max, noNaN: true });
      const sampleLike = fc.record(
        {
          ts: field(
            fc.oneof(
              fc.nat(),
              fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
            ),
          ),
          lat: field(real(-90, 90)),
          lon: field(real(-180, 180)),
          locked: field(fc.boolean()),
          seq: field(fc.nat()),
          accuracyM: field(real(0, 1e6)),
          heading: field(real(0, 360)),
          speedKmh: field(real(0, 400)),
          odometerKm: field(real(0, 1e7)),
          rangeKm: field(real(0, 2000)),
          fuelPct: field(real(0, 100)),
          batteryPct: field(real(0, 100)),
          ignition: field(fc.boolean()),
          doorsClosed: field(fc.boolean()),
          junk: anyValue,
        },
        { requiredKeys: ['ts', 'lat', 'lon', 'locked'] },
      );
      let accepted = 0;
      let rejected = 0;
      fc.assert(
        fc.property(fc.oneof(sampleLike, fc.array(sampleLike, { minLength: 1, maxLength: 5 })), (value) => {
          const result = parse(value);
          checkResult(result);
          const count = Array.isArray(value) ? value.length : 1;
          expect(result.samples.length + result.rejects.length).toBe(count);
          accepted += result.samples.length;
          rejected += result.rejects.length;
        }),
        { numRuns: 500 },
      );
      // The generator does reach both valid and invalid samples.
      expect(accepted).toBeGreaterThan(0);
      expect(rejected).toBeGreaterThan(0);
    });
  });
});
