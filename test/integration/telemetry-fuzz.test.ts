import {
  DEFAULT_TELEMETRY_LIMITS,
  parseTelemetryPayload,
  RejectReason,
  vehicleTopic,
} from '@fleet/contracts';
import { insertVehicles, TEST_VEHICLE_PASSWORD, waitFor } from '@fleet/testing';
import fc from 'fast-check';
import mqtt, { IClientOptions, MqttClient } from 'mqtt';
import { createHash } from 'node:crypto';
import { GatewayHarness } from './gateway-harness';

/**
 * Fuzzing the running gateway the way a broken car would: raw MQTT clients publish, at QoS 1 on their
 * own telemetry topics, a seeded random mix of garbage bytes, random JSON, payloads of megabytes,
 * 100,000 levels of nesting, arrays mixing good and bad samples, and valid samples with known seq
 * numbers. The gateway must stay up and healthy, never drop a car's connection, store every valid
 * sample with its values, and keep every invalid message in quarantine with its reason.
 *
 * Rerun a failure with FUZZ_SEED=<the seed in the test's name>.
 */
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
const PREFIX = 'fleet/v1';
/** The gateway's defaults (TELEMETRY_MAX_PAYLOAD_BYTES, QUARANTINE_MAX_STORED_BYTES). */
const LIMITS = DEFAULT_TELEMETRY_LIMITS;
const QUARANTINE_KEPT_BYTES = 16 * 1024;

/** The cars: one speaks MQTT 3.1.1, the others MQTT 5. */
const CARS: { id: string; protocolVersion: 4 | 5 }[] = [
  { id: 'fuzz-a', protocolVersion: 4 },
  { id: 'fuzz-b', protocolVersion: 5 },
  { id: 'fuzz-c', protocolVersion: 5 },
];

interface Message {
  vehicleId: string;
  kind: string;
  payload: Buffer;
}

/** A valid sample as sent, by (vehicle, seq). */
type Sample = Record<string, unknown> & { seq: number; lat: number; lon: number; locked: boolean };

const gen = <T>(arb: fc.Arbitrary<T>, n: number, salt: number): T[] =>
  fc.sample(arb, { seed: SEED + salt, numRuns: n });
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** ISO 8601 with a +hh:mm offset for an instant. */
function isoWithOffset(ms: number, offsetMin: number): string {
  const local = new Date(ms + offsetMin * 60_000).toISOString().slice(0, -1); // without the Z
  const abs = Math.abs(offsetMin);
  const hhmm = `${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
  return `${local}${offsetMin < 0 ? '-' : '+'}${hhmm}`;
}

/** Builds the seeded messages of one car, and the valid samples among them. */
function planFor(vehicleId: string, carIndex: number, startMs: number) {
  const salt = carIndex * 100;
  const valid = new Map<number, Sample>();
  let nextSeq = 1;
  /** A new valid sample: standing near its spot (1 m of GPS noise), 1 s after the previous one. */
  const sample = (noise: number): Sample => {
    const seq = nextSeq++;
    const tsMs = startMs + seq * 1000;
    const s: Sample = {
      ts: seq % 2 === 0 ? tsMs : isoWithOffset(tsMs, (seq % 5) * 90 - 180),
      lat: 52.5 + carIndex * 0.01 + noise * 1e-5,
      lon: 13.4 + noise * 1e-5,
      locked: seq % 3 !== 0,
      seq,
      speedKmh: (seq * 7) % 60,
      heading: (seq * 37) % 360,
      batteryPct: 100 - (seq % 100),
      odometerKm: 1000 + seq / 10,
      ignition: seq % 3 === 0,
      doorsClosed: true,
      firmware: '4.2.1', // unknown fields are ignored
    };
    valid.set(seq, s);
    return s;
  };
  const noise = gen(fc.double({ min: -1, max: 1, noNaN: true }), 1000, salt + 1);
  let n = 0;
  const nextSample = () => sample(noise[n++ % noise.length]);

  /** Samples broken in one field, as cars get them wrong. */
  const broken = (s: Sample, how: number): string => {
    const text = JSON.stringify(s);
    switch (how % 8) {
      case 0:
        return JSON.stringify({ ...s, lat: 91 });
      case 1:
        return JSON.stringify({ ...s, locked: 'yes' });
      case 2:
        return JSON.stringify({ ...s, ts: 'yesterday' });
      case 3:
        return JSON.stringify({ ...s, speedKmh: 401 });
      case 4:
        return JSON.stringify({ ...s, ts: undefined });
      case 5:
        return `${text.slice(0, -1)},"lat":1e400}`; // Infinity once parsed
      case 6:
        return JSON.stringify({ ...s, note: 'a\u0000b' }); // NUL, which PostgreSQL text cannot hold
      default:
        return '['.repeat(1000) + ']'.repeat(1000);
    }
  };

  const messages: Message[] = [];
  const add = (kind: string, payload: Buffer | string) =>
    messages.push({ vehicleId, kind, payload: Buffer.isBuffer(payload) ? payload : Buffer.from(payload) });

  for (const bytes of gen(fc.uint8Array({ maxLength: 2048 }), 150, salt + 2))
    add('random bytes', Buffer.from(bytes));
  for (const text of gen(fc.string({ unit: 'grapheme', maxLength: 300 }), 80, salt + 3))
    add('random text', text);
  for (const value of gen(fc.jsonValue(), 150, salt + 4)) add('random JSON', JSON.stringify(value) ?? 'null');
  add('an emoji, not JSON', '😀');
  add('one 4-byte UTF-8 character', Buffer.from([0xf0, 0x90, 0x80, 0x80]));
  add('empty', Buffer.alloc(0));
  add(
    'a raw NUL byte',
    Buffer.concat([Buffer.from(JSON.stringify(nextSample()).slice(0, -1)), Buffer.from([0])]),
  );
  valid.delete(nextSeq - 1); // that one is refused whole

  add('1 MB: a sample padded', JSON.stringify({ ...nextSample(), pad: 'x'.repeat(1024 * 1024) }));
  valid.delete(nextSeq - 1);
  const noiseBytes = Buffer.alloc(5 * 1024 * 1024 + 7);
  for (let i = 0; i < noiseBytes.length; i++) noiseBytes[i] = (i * 131 + carIndex * 17 + (i >> 12)) % 256;
  add('5 MB of noise', noiseBytes);
  add('one byte over the limit', `"${'y'.repeat(LIMITS.maxPayloadBytes - 1)}"`);
  add('100,000 nested arrays', '['.repeat(100_000) + ']'.repeat(100_000));
  add('100,000 unclosed arrays', '['.repeat(100_000));
  add('100,000 nested objects (over the limit)', '{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000));
  add(
    'a valid sample with a 100,000-level unknown field',
    `${JSON.stringify(nextSample()).slice(0, -1)},"x":${'['.repeat(100_000)}${']'.repeat(100_000)}}`,
  );
  const minimal = { ts: startMs, lat: 52.5, lon: 13.4, locked: true };
  add('1001 valid samples (one over the array limit)', JSON.stringify(Array(1001).fill(minimal)));

  const mixes = gen(fc.array(fc.nat(20), { minLength: 1, maxLength: 20 }), 30, salt + 5);
  const junk = gen(fc.jsonValue({ maxDepth: 2 }), 200, salt + 6);
  let j = 0;
  for (const mix of mixes) {
    const items = mix.map((roll) => {
      if (roll < 10) return JSON.stringify(nextSample());
      const victim = nextSample();
      valid.delete(victim.seq);
      return roll < 17 ? broken(victim, roll) : JSON.stringify(junk[j++ % junk.length]);
    });
    add('an array of good and bad samples', `[${items.join(',')}]`);
  }
  for (let k = 0; k < 100; k++) add('a valid sample', JSON.stringify(nextSample()));

  // Cars resend after reconnects, buffer, and garble: the order is random too.
  const order = gen(fc.shuffledSubarray(messages, { minLength: messages.length }), 1, salt + 7)[0];
  return { messages: order, valid };
}

/**
 * How the gateway must keep a message's rejects: one quarantine row each, keyed by vehicle, reason,
 * sample index, size and the bytes kept (what an operator sees at GET /telemetry/rejects).
 */
function quarantineKeys(m: Message): { key: string; kind: string }[] {
  const parsed = parseTelemetryPayload(m.vehicleId, m.payload, LIMITS);
  return parsed.rejects.map((r) => ({
    kind: m.kind,
    key: [
      m.vehicleId,
      r.reason,
      r.sampleIndex,
      r.raw.length,
      sha256(r.raw.subarray(0, QUARANTINE_KEPT_BYTES)),
    ].join('|'),
  }));
}

interface CarClient {
  id: string;
  client: MqttClient;
  /** 'close', 'offline', 'disconnect', 'error', 'reconnect' events while the test ran. */
  events: string[];
}

describe(`telemetry fuzz through the running gateway (seed ${SEED})`, () => {
  const h = new GatewayHarness();
  const cars: CarClient[] = [];
  let gatewayPid: number | undefined;
  const gatewayExits: string[] = [];

  beforeAll(async () => {
    await h.start();
    gatewayPid = h.gateway.child.pid;
    h.gateway.child.once('exit', (code, signal) => gatewayExits.push(`exit ${code} ${signal}`));
    await insertVehicles(
      h.db.client,
      CARS.map((c) => c.id),
    );
    for (const { id, protocolVersion } of CARS) {
      const options: IClientOptions = {
        clientId: id,
        username: id,
        password: TEST_VEHICLE_PASSWORD,
        protocolVersion,
        reconnectPeriod: 1000,
      };
      const client = await mqtt.connectAsync(h.broker.url, options);
      const events: string[] = [];
      for (const event of ['close', 'offline', 'disconnect', 'error', 'reconnect'] as const) {
        client.on(event, (arg?: unknown) =>
          events.push(`${event}${arg instanceof Error ? `: ${arg.message}` : ''}`),
        );
      }
      cars.push({ id, client, events });
    }
  });

  afterAll(async () => {
    await Promise.all(cars.map((c) => c.client.endAsync().catch(() => undefined)));
    await h.stop();
  });

  it('stays up and healthy, keeps every car connected, stores every valid sample and quarantines the rest', async () => {
    const startMs = Date.now() - 30 * 60_000;
    const plans = CARS.map((c, i) => ({ car: cars[i], ...planFor(c.id, i, startMs) }));

    // Sanity of the plan itself: the contract's parser agrees which samples are the valid ones.
    for (const { car, messages, valid } of plans) {
      const seqs = messages.flatMap((m) =>
        parseTelemetryPayload(car.id, m.payload, LIMITS).samples.map((s) => s.seq),
      );
      expect(seqs.sort((a, b) => a! - b!)).toEqual([...valid.keys()].sort((a, b) => a - b));
    }
    const expectedRows = plans.reduce((n, p) => n + p.valid.size, 0);
    const expectedQuarantine = plans.flatMap((p) => p.messages.flatMap(quarantineKeys));
    const messageCount = plans.reduce((n, p) => n + p.messages.length, 0);
    const megabytes =
      plans.reduce((n, p) => n + p.messages.reduce((b, m) => b + m.payload.length, 0), 0) / 2 ** 20;
    console.log(
      `telemetry fuzz seed ${SEED}: ${messageCount} messages (${megabytes.toFixed(1)} MB) from ${CARS.length} cars, ` +
        `${expectedRows} valid samples, ${expectedQuarantine.length} quarantine rows expected`,
    );

    // /health all along, ten times a second.
    const health: (number | string)[] = [];
    let fuzzing = true;
    const watch = (async () => {
      while (fuzzing) {
        health.push(
          await fetch(`${h.gateway.baseUrl}/health`, { signal: AbortSignal.timeout(5000) }).then(
            (r) => r.status,
            (err: Error) => err.message,
          ),
        );
        await new Promise((r) => setTimeout(r, 100));
      }
    })();

    // Every car publishes its messages at QoS 1, up to 32 unacknowledged at once.
    const acked: number[] = [];
    const failed: string[] = [];
    await Promise.all(
      plans.map(async ({ car, messages }) => {
        const topic = vehicleTopic(PREFIX, car.id, 'telemetry');
        let next = 0;
        const lane = async () => {
          while (next < messages.length) {
            const m = messages[next++];
            await car.client.publishAsync(topic, m.payload, { qos: 1 }).then(
              (packet) => acked.push(packet?.messageId ?? -1),
              (err: Error) => failed.push(`${car.id} ${m.kind}: ${err.message}`),
            );
          }
        };
        await Promise.all(Array.from({ length: 32 }, lane));
      }),
    );
    expect(failed).toEqual([]);
    expect(acked).toHaveLength(messageCount);
    expect(acked.every((id) => id > 0)).toBe(true); // a PUBACK for each, not a QoS 0 send

    // Everything is committed: the valid samples in history, the rest in quarantine.
    const ids = CARS.map((c) => c.id);
    const counts = async () =>
      (
        await h.query<{ rows: number; rejects: number }>(
          `SELECT (SELECT count(*)::int FROM telemetry WHERE vehicle_id = ANY($1)) AS rows,
                  (SELECT count(*)::int FROM telemetry_quarantine WHERE vehicle_id = ANY($1)) AS rejects`,
          [ids],
        )
      )[0];
    let last = { rows: 0, rejects: 0 };
    await waitFor(
      async () => {
        last = await counts();
        return last.rows >= expectedRows && last.rejects >= expectedQuarantine.length;
      },
      30_000,
      `${expectedRows} telemetry rows and ${expectedQuarantine.length} quarantine rows`,
    ).catch((err: Error) => {
      throw new Error(`${err.message} (seed ${SEED}; last: ${JSON.stringify(last)})`);
    });
    await new Promise((r) => setTimeout(r, 1000)); // nothing more comes after
    fuzzing = false;
    await watch;

    // Every valid sample is stored once, with the values the car sent.
    const stored = await h.query<{
      vehicle_id: string;
      seq: string;
      fix_ms: string;
      lat: number;
      lon: number;
      locked: boolean;
      speed_kmh: number;
      heading_deg: number;
      battery_pct: number;
      odometer_km: number;
      ignition: boolean;
      doors_closed: boolean;
    }>(
      `SELECT vehicle_id, seq, (extract(epoch FROM fix_at) * 1000)::bigint AS fix_ms,
              ST_Y(position::geometry) AS lat, ST_X(position::geometry) AS lon, locked, speed_kmh,
              heading_deg, battery_pct, odometer_km, ignition, doors_closed
         FROM telemetry WHERE vehicle_id = ANY($1) ORDER BY vehicle_id, seq`,
      [ids],
    );
    for (const { car, valid } of plans) {
      const rows = stored.filter((r) => r.vehicle_id === car.id);
      expect(rows.map((r) => Number(r.seq))).toEqual([...valid.keys()].sort((a, b) => a - b));
      for (const row of rows) {
        const sent = valid.get(Number(row.seq))!;
        expect(Number(row.fix_ms)).toBe(startMs + sent.seq * 1000);
        expect(row.lat).toBeCloseTo(sent.lat, 9);
        expect(row.lon).toBeCloseTo(sent.lon, 9);
        expect(row).toMatchObject({
          locked: sent.locked,
          speed_kmh: sent.speedKmh,
          heading_deg: sent.heading,
          battery_pct: sent.batteryPct,
          odometer_km: sent.odometerKm,
          ignition: sent.ignition,
          doors_closed: sent.doorsClosed,
        });
      }
      // The car's latest state is its newest valid fix, whatever garbage came after it.
      const [state] = await h.query<{ seq: string }>(`SELECT seq FROM vehicle_state WHERE vehicle_id = $1`, [
        car.id,
      ]);
      expect(Number(state.seq)).toBe(Math.max(...valid.keys()));
    }

    // Every invalid message or sample is in quarantine once, with the reason the contract gives it.
    const quarantined = await h.query<{ key: string; topic: string; details: string }>(
      `SELECT concat_ws('|', vehicle_id, reason, coalesce(sample_index::text, ''), payload_bytes,
                        encode(sha256(payload), 'hex')) AS key, topic, details
         FROM telemetry_quarantine WHERE vehicle_id = ANY($1)`,
      [ids],
    );
    const notFound = [...expectedQuarantine];
    const unexpected: string[] = [];
    for (const { key, details } of quarantined) {
      const at = notFound.findIndex((e) => e.key === key);
      if (at >= 0) notFound.splice(at, 1);
      else unexpected.push(`${key} (${details})`);
    }
    const missing = notFound.map((e) => `${e.kind}: ${e.key}`);
    expect({ seed: SEED, missing, unexpected }).toEqual({ seed: SEED, missing: [], unexpected: [] });
    for (const row of quarantined) {
      expect(row.topic).toMatch(/^fleet\/v1\/vehicles\/fuzz-[abc]\/telemetry$/);
      expect(row.details.length).toBeGreaterThan(0);
    }
    const reasons = new Set(quarantined.map((q) => q.key.split('|')[1]));
    for (const reason of [
      RejectReason.MalformedJson,
      RejectReason.SchemaViolation,
      RejectReason.PayloadTooLarge,
      RejectReason.BatchSize,
    ]) {
      expect(reasons).toContain(reason);
    }

    // The gateway never went down, never restarted, never failed a commit, answered /health with 200.
    expect(gatewayExits).toEqual([]);
    expect(h.gateway.child.pid).toBe(gatewayPid);
    expect(h.gateway.child.exitCode).toBeNull();
    expect(health.length).toBeGreaterThan(0);
    expect(health.filter((s) => s !== 200)).toEqual([]);
    expect((await fetch(`${h.gateway.baseUrl}/health`)).status).toBe(200);
    const output = h.gateway.output();
    expect(output).not.toMatch(/parser failed|refuses an item|commit failed|group commit worker failed/);

    // No car was thrown off: its connection stayed up the whole time.
    for (const car of cars) {
      expect({ car: car.id, events: car.events }).toEqual({ car: car.id, events: [] });
      expect(car.client.connected).toBe(true);
    }
  });
});
