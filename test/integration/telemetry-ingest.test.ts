import { RejectReason } from '@fleet/contracts';
import { SimulatedCar } from '@fleet/simulator';
import { GatewayHarness } from './gateway-harness';

/** Telemetry through the real Mosquitto into PostgreSQL/PostGIS, and everything that must not get in. */
describe('telemetry ingest (gateway process, Mosquitto, PostGIS)', () => {
  const h = new GatewayHarness();
  // One car per concern, so that no test's positions look like a jump to another's.
  let car: SimulatedCar;
  let other: SimulatedCar;
  let dup: SimulatedCar;
  let late: SimulatedCar;
  let jumpy: SimulatedCar;

  beforeAll(async () => {
    await h.start();
    [car, other, dup, late, jumpy] = await h.registerCars(['car-1', 'car-2', 'car-3', 'car-4', 'car-5']);
  });
  afterAll(() => h.stop());

  it('stores a sample as the latest state and in history, with the right geography', async () => {
    [car.lat, car.lon] = [52.516275, 13.377704];
    const sample = await car.publishSample({ speedKmh: 0, batteryPct: 77.5 });
    await h.waitForValue(`SELECT count(*)::int FROM telemetry WHERE vehicle_id = 'car-1'`, [], 1);

    const [latest] = await h.query<Record<string, unknown>>(
      `SELECT ST_AsText(position) AS wkt, ST_SRID(position::geometry) AS srid, GeometryType(position::geometry) AS type,
              fix_at, seq, battery_pct, locked, online, state
         FROM vehicle_state WHERE vehicle_id = 'car-1'`,
    );
    expect(latest).toMatchObject({
      wkt: 'POINT(13.377704 52.516275)',
      srid: 4326,
      type: 'POINT',
      seq: String(sample.seq),
      battery_pct: 77.5,
      locked: true,
      online: true,
      state: 'available',
    });
    expect((latest.fix_at as Date).getTime()).toBe(sample.ts);
    // The geography is usable for distance queries: ~ 2.46 km to Alexanderplatz.
    const [{ m }] = await h.query<{ m: number }>(
      `SELECT ST_Distance(position, ST_SetSRID(ST_MakePoint(13.4132, 52.5219), 4326)::geography) AS m
         FROM telemetry WHERE vehicle_id = 'car-1'`,
    );
    expect(m).toBeGreaterThan(2400);
    expect(m).toBeLessThan(2520);
  });

  it('stores a buffered upload of 1000 samples whole, the newest as latest state', async () => {
    const start = Date.now() - 20 * 60_000;
    const batch = Array.from({ length: 1000 }, (_, i) => {
      other.move(3, 0);
      return other.sample({ ts: start + i * 1000 });
    });
    await other.publishBatch(batch);
    await h.waitForValue(`SELECT count(*)::int FROM telemetry WHERE vehicle_id = 'car-2'`, [], 1000);
    const [latest] = await h.query<{ seq: string; fix_at: Date }>(
      `SELECT seq, fix_at FROM vehicle_state WHERE vehicle_id = 'car-2'`,
    );
    expect(Number(latest.seq)).toBe(batch[999].seq);
    expect(latest.fix_at.getTime()).toBe(start + 999_000);
  });

  it('absorbs duplicates: a repeated message, and a repeated seq with another fix time', async () => {
    const before = await h.metric('fleet_telemetry_duplicates_total');
    const sample = dup.sample();
    await dup.publishRaw(JSON.stringify(sample));
    await dup.publishRaw(JSON.stringify(sample));
    await dup.publishRaw(JSON.stringify({ ...sample, ts: (sample.ts as number) + 500 }));
    const next = await dup.publishSample();
    await h.waitForValue(`SELECT seq::int FROM vehicle_state WHERE vehicle_id = 'car-3'`, [], next.seq);
    expect(await h.query(`SELECT seq FROM telemetry WHERE vehicle_id = 'car-3' ORDER BY fix_at`)).toEqual([
      { seq: String(sample.seq) },
      { seq: String(next.seq) },
    ]);
    await waitForMetric(h, 'fleet_telemetry_duplicates_total', before + 2);
  });

  it('keeps a late sample in history only: the latest state never moves back in time', async () => {
    [late.lat, late.lon] = [52.52, 13.41];
    const now = await late.publishSample();
    await h.waitForValue(`SELECT seq::int FROM vehicle_state WHERE vehicle_id = 'car-4'`, [], now.seq);
    const old = late.sample({ ts: (now.ts as number) - 60_000, lat: 52.519, lon: 13.409 });
    await late.publishRaw(JSON.stringify(old));
    await h.waitForValue(
      `SELECT count(*)::int FROM telemetry WHERE vehicle_id = 'car-4' AND seq = $1`,
      [old.seq],
      1,
    );
    const [latest] = await h.query<{ seq: string; wkt: string }>(
      `SELECT seq, ST_AsText(position) AS wkt FROM vehicle_state WHERE vehicle_id = 'car-4'`,
    );
    expect(Number(latest.seq)).toBe(now.seq);
    expect(latest.wkt).toBe('POINT(13.41 52.52)');
  });

  describe('bad input lands in quarantine with its reason while the gateway keeps serving', () => {
    const valid = () => car.sample();
    // name, payload, expected reason, a word the details must contain
    const cases: [string, () => string | Buffer, RejectReason, string?][] = [
      ['malformed JSON', () => '{"ts": 1, "lat":', RejectReason.MalformedJson],
      [
        'NaN is not JSON',
        () => '{"ts": 1, "lat": NaN, "lon": 1, "locked": true}',
        RejectReason.MalformedJson,
      ],
      [
        'Infinity via 1e400',
        () => JSON.stringify(valid()).replace(/"speedKmh":[^,}]+/, '"speedKmh":1e400'),
        RejectReason.SchemaViolation,
        'speedKmh',
      ],
      [
        'latitude out of range',
        () => JSON.stringify({ ...valid(), lat: 90.5 }),
        RejectReason.SchemaViolation,
        'lat',
      ],
      [
        'longitude out of range',
        () => JSON.stringify({ ...valid(), lon: -180.5 }),
        RejectReason.SchemaViolation,
        'lon',
      ],
      [
        'null island',
        () => JSON.stringify({ ...valid(), lat: 0, lon: 0 }),
        RejectReason.SchemaViolation,
        'both be 0',
      ],
      [
        'locked missing',
        () => JSON.stringify({ ...valid(), locked: undefined }),
        RejectReason.SchemaViolation,
        'locked',
      ],
      [
        'locked not boolean',
        () => JSON.stringify({ ...valid(), locked: 'yes' }),
        RejectReason.SchemaViolation,
        'locked',
      ],
      ['negative seq', () => JSON.stringify({ ...valid(), seq: -1 }), RejectReason.SchemaViolation, 'seq'],
      ['fractional seq', () => JSON.stringify({ ...valid(), seq: 1.5 }), RejectReason.SchemaViolation, 'seq'],
      [
        'heading above 360',
        () => JSON.stringify({ ...valid(), heading: 361 }),
        RejectReason.SchemaViolation,
        'heading',
      ],
      [
        'speed above 400',
        () => JSON.stringify({ ...valid(), speedKmh: 401 }),
        RejectReason.SchemaViolation,
        'speedKmh',
      ],
      [
        'fuel above 100',
        () => JSON.stringify({ ...valid(), fuelPct: 100.1 }),
        RejectReason.SchemaViolation,
        'fuelPct',
      ],
      [
        'negative battery',
        () => JSON.stringify({ ...valid(), batteryPct: -1 }),
        RejectReason.SchemaViolation,
        'batteryPct',
      ],
      [
        'negative accuracy',
        () => JSON.stringify({ ...valid(), accuracyM: -3 }),
        RejectReason.SchemaViolation,
        'accuracyM',
      ],
      [
        'negative odometer',
        () => JSON.stringify({ ...valid(), odometerKm: -3 }),
        RejectReason.SchemaViolation,
        'odometerKm',
      ],
      [
        'negative range',
        () => JSON.stringify({ ...valid(), rangeKm: -3 }),
        RejectReason.SchemaViolation,
        'rangeKm',
      ],
      [
        'ignition not boolean',
        () => JSON.stringify({ ...valid(), ignition: 1 }),
        RejectReason.SchemaViolation,
        'ignition',
      ],
      [
        'doorsClosed not boolean',
        () => JSON.stringify({ ...valid(), doorsClosed: 'no' }),
        RejectReason.SchemaViolation,
        'doorsClosed',
      ],
      [
        'ts without offset',
        () => JSON.stringify({ ...valid(), ts: '2026-11-21T10:00:00' }),
        RejectReason.SchemaViolation,
        'ts',
      ],
      ['ts not a time', () => JSON.stringify({ ...valid(), ts: 'now' }), RejectReason.SchemaViolation, 'ts'],
      [
        'NUL character in a string',
        () => JSON.stringify({ ...valid(), note: 'a\u0000b' }),
        RejectReason.SchemaViolation,
        'NUL',
      ],
      [
        'raw NUL byte',
        () => Buffer.concat([Buffer.from(JSON.stringify(valid())), Buffer.from([0])]),
        RejectReason.SchemaViolation,
        'NUL',
      ],
      ['a sample that is not an object', () => '42', RejectReason.SchemaViolation],
      [
        'payload over 256 KiB',
        () => JSON.stringify({ ...valid(), pad: 'x'.repeat(256 * 1024) }),
        RejectReason.PayloadTooLarge,
      ],
      [
        'array of 1001 samples',
        () => JSON.stringify(Array.from({ length: 1001 }, () => valid())),
        RejectReason.BatchSize,
      ],
      ['empty array', () => '[]', RejectReason.BatchSize],
      [
        'fix time 10 minutes ahead',
        () => JSON.stringify({ ...valid(), ts: Date.now() + 10 * 60_000 }),
        RejectReason.FutureTimestamp,
      ],
    ];

    const table = cases.map(([name, payload, reason, detail]) => ({ name, payload, reason, detail }));
    it.each(table)('$name', async ({ payload, reason, detail }) => {
      const raw = payload();
      const before = await quarantineCount(h, 'car-1', reason);
      await car.publishRaw(raw);
      await h.waitForValue(
        `SELECT count(*)::int FROM telemetry_quarantine WHERE vehicle_id = 'car-1' AND reason = $1`,
        [reason],
        before + 1,
      );
      const [row] = await h.query<{ details: string; payload: Buffer; payload_bytes: number; topic: string }>(
        `SELECT details, payload, payload_bytes, topic FROM telemetry_quarantine
          WHERE vehicle_id = 'car-1' AND reason = $1 ORDER BY id DESC LIMIT 1`,
        [reason],
      );
      if (detail) expect(row.details).toContain(detail);
      expect(row.topic).toBe('fleet/v1/vehicles/car-1/telemetry');
      const bytes = Buffer.isBuffer(raw) ? raw.length : Buffer.byteLength(raw);
      expect(row.payload_bytes).toBe(bytes);
      expect(row.payload.length).toBe(Math.min(bytes, 16 * 1024)); // kept, bounded in size
    });

    it('quarantines a sample from an unregistered vehicle', async () => {
      const ghost = new SimulatedCar({ url: h.broker.url, vehicleId: 'ghost-7', lat: 52.5, lon: 13.4 });
      await ghost.connect();
      await ghost.publishSample();
      await ghost.disconnect();
      // Its status message is kept too (topic .../status); here the telemetry is what counts.
      await h.waitForValue(
        `SELECT count(*)::int FROM telemetry_quarantine WHERE vehicle_id = 'ghost-7' AND reason = $1 AND topic LIKE '%/telemetry'`,
        [RejectReason.UnknownVehicle],
        1,
      );
      expect(await h.query(`SELECT 1 FROM telemetry WHERE vehicle_id = 'ghost-7'`)).toHaveLength(0);
    });

    it('quarantines an implausible jump (implied speed above 300 km/h) and keeps the car where it was', async () => {
      const before = await jumpy.publishSample({ ts: Date.now() - 60_000 });
      await h.waitForValue(`SELECT seq::int FROM vehicle_state WHERE vehicle_id = 'car-5'`, [], before.seq);
      const jump = await jumpy.publishSample({
        ts: (before.ts as number) + 10_000,
        lat: 48.137,
        lon: 11.575,
      }); // Munich, 10 s later
      await h.waitForValue(
        `SELECT count(*)::int FROM telemetry_quarantine WHERE vehicle_id = 'car-5' AND reason = $1`,
        [RejectReason.ImplausibleSpeed],
        1,
      );
      const [state] = await h.query<{ seq: string }>(
        `SELECT seq FROM vehicle_state WHERE vehicle_id = 'car-5'`,
      );
      expect(Number(state.seq)).toBe(before.seq);
      expect(
        await h.query(`SELECT 1 FROM telemetry WHERE vehicle_id = 'car-5' AND seq = $1`, [jump.seq]),
      ).toHaveLength(0);
      // The car's next fix near where it really is is accepted again.
      const near = await jumpy.publishSample({ ts: (before.ts as number) + 20_000 });
      await h.waitForValue(`SELECT seq::int FROM vehicle_state WHERE vehicle_id = 'car-5'`, [], near.seq);
    });

    it('keeps the valid samples of an array and quarantines the bad one with its index', async () => {
      const base = Date.now() - 2000;
      const samples = [
        car.sample({ ts: base }),
        { ...car.sample({ ts: base + 1000 }), lat: 123 },
        car.sample({ ts: base + 2000 }),
      ];
      await car.publishBatch(samples);
      await h.waitForValue(
        `SELECT count(*)::int FROM telemetry WHERE vehicle_id = 'car-1' AND seq = ANY($1)`,
        [[samples[0].seq, samples[2].seq]],
        2,
      );
      await h.waitForValue(
        `SELECT sample_index FROM telemetry_quarantine WHERE vehicle_id = 'car-1' AND details LIKE 'lat%' ORDER BY id DESC LIMIT 1`,
        [],
        1,
      );
    });

    it('quarantines a telemetry topic that names no valid vehicle id', async () => {
      await car.publishRaw(JSON.stringify(car.sample()), 'fleet/v1/vehicles/-bad-id/telemetry');
      await h.waitForValue(
        `SELECT count(*)::int FROM telemetry_quarantine WHERE reason = $1`,
        [RejectReason.InvalidTopic],
        1,
      );
    });

    it('still serves after all of it', async () => {
      const sample = await car.publishSample();
      await h.waitForValue(`SELECT seq::int FROM vehicle_state WHERE vehicle_id = 'car-1'`, [], sample.seq);
      const health = await fetch(`${h.gateway.baseUrl}/health`);
      expect(health.status).toBe(200);
      expect(h.gateway.child.exitCode).toBeNull();
    });
  });

  it('counts what an operator expects at /metrics', async () => {
    const text = await (await fetch(`${h.gateway.baseUrl}/metrics`)).text();
    for (const name of [
      'fleet_telemetry_messages_received_total',
      'fleet_telemetry_samples_stored_total',
      'fleet_telemetry_samples_rejected_total{reason="SCHEMA_VIOLATION"}',
      'fleet_telemetry_duplicates_total',
      'fleet_telemetry_batch_samples_bucket',
      'fleet_telemetry_commit_seconds_bucket',
    ]) {
      expect(text).toContain(name);
    }
    expect(await h.metric('fleet_telemetry_samples_stored_total')).toBeGreaterThanOrEqual(1000);
  });
});

async function quarantineCount(h: GatewayHarness, vehicleId: string, reason: string): Promise<number> {
  const [{ n }] = await h.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM telemetry_quarantine WHERE vehicle_id = $1 AND reason = $2`,
    [vehicleId, reason],
  );
  return n;
}

async function waitForMetric(h: GatewayHarness, name: string, atLeast: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while ((await h.metric(name)) < atLeast) {
    if (Date.now() > deadline) throw new Error(`${name} stayed below ${atLeast}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
