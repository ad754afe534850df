/**
 * The baseline of bench/ingest.ts: what a straightforward consumer does. One MQTT connection with a
 * plain subscription; for each message, in turn, one INSERT into history and one UPSERT of the latest
 * state (each its own autocommit transaction, awaited), and only then the PUBACK (MQTT.js
 * `handleMessage`), so it is as durable as the gateway. No batching, no screening.
 * Run as a child process (child_process.fork); env: MQTT_URL, DATABASE_URL, MQTT_TOPIC_PREFIX.
 *
 * IPC (child -> parent): {type: 'ready'} once subscribed; on {cmd: 'stop'}: {type: 'done', stats}.
 */
import mqtt from 'mqtt';
import { Client } from 'pg';
import type { WireSample } from '@fleet/simulator';

export interface NaiveStats {
  processed: number;
  errors: number;
  lastError: string | null;
}

/** The benchmark's publishers send `ts` as epoch milliseconds. */
type BenchSample = WireSample & { ts: number };

const INSERT_HISTORY = `
  INSERT INTO telemetry (vehicle_id, fix_at, seq, position, accuracy_m, heading_deg, speed_kmh, odometer_km,
                         range_km, fuel_pct, battery_pct, locked, ignition, doors_closed)
  VALUES ($1, to_timestamp($2::float8 / 1000), $3, ST_SetSRID(ST_MakePoint($5, $4), 4326)::geography,
          $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
  ON CONFLICT (vehicle_id, fix_at) DO NOTHING`;

const UPSERT_STATE = `
  INSERT INTO vehicle_state (vehicle_id, position, fix_at, seq, accuracy_m, heading_deg, speed_kmh, odometer_km,
                             range_km, fuel_pct, battery_pct, locked, ignition, doors_closed, online,
                             last_seen_at, updated_at)
  VALUES ($1, ST_SetSRID(ST_MakePoint($5, $4), 4326)::geography, to_timestamp($2::float8 / 1000), $3,
          $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, true, now(), now())
  ON CONFLICT (vehicle_id) DO UPDATE
     SET position = EXCLUDED.position, fix_at = EXCLUDED.fix_at, seq = EXCLUDED.seq,
         accuracy_m = EXCLUDED.accuracy_m, heading_deg = EXCLUDED.heading_deg, speed_kmh = EXCLUDED.speed_kmh,
         odometer_km = EXCLUDED.odometer_km, range_km = EXCLUDED.range_km, fuel_pct = EXCLUDED.fuel_pct,
         battery_pct = EXCLUDED.battery_pct, locked = EXCLUDED.locked, ignition = EXCLUDED.ignition,
         doors_closed = EXCLUDED.doors_closed, online = true, last_seen_at = now(), updated_at = now()
   WHERE vehicle_state.fix_at IS NULL OR vehicle_state.fix_at < EXCLUDED.fix_at`;

async function main(): Promise<void> {
  const prefix = process.env.MQTT_TOPIC_PREFIX ?? 'fleet/v1';
  const db = new Client({ connectionString: process.env.DATABASE_URL, application_name: 'bench-naive' });
  await db.connect();
  const stats: NaiveStats = { processed: 0, errors: 0, lastError: null };

  const client = mqtt.connect(process.env.MQTT_URL!, {
    clientId: `bench-naive-${process.pid}`,
    protocolVersion: 4,
    clean: true,
    reconnectPeriod: 1000,
  });

  const store = async (topic: string, payload: Buffer) => {
    const vehicleId = topic.split('/').at(-2)!;
    const s = JSON.parse(payload.toString()) as BenchSample;
    const params = [
      vehicleId,
      s.ts,
      s.seq ?? null,
      s.lat,
      s.lon,
      s.accuracyM ?? null,
      s.heading ?? null,
      s.speedKmh ?? null,
      s.odometerKm ?? null,
      s.rangeKm ?? null,
      s.fuelPct ?? null,
      s.batteryPct ?? null,
      s.locked,
      s.ignition ?? null,
      s.doorsClosed ?? null,
    ];
    // Named statements: parsed and planned once per connection, the best case for this design.
    await db.query({ name: 'insert-history', text: INSERT_HISTORY, values: params });
    await db.query({ name: 'upsert-state', text: UPSERT_STATE, values: params });
  };

  // Acknowledge only after both statements (MQTT.js sends the PUBACK in the callback).
  client.handleMessage = (packet, callback) => {
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
    store(packet.topic, payload).then(
      () => {
        stats.processed++;
        callback();
      },
      (err: Error) => {
        stats.errors++;
        stats.lastError = err.message;
        callback();
      },
    );
  };

  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => {
      client.subscribe(`${prefix}/vehicles/+/telemetry`, { qos: 1 }, (err) =>
        err ? reject(err) : resolve(),
      );
    });
    client.once('error', reject);
  });
  process.send?.({ type: 'ready' });

  process.on('message', (message: { cmd: string }) => {
    if (message.cmd !== 'stop') return;
    // No drain: the backlog it has not worked off is what the benchmark measures.
    client.end(true);
    process.send?.({ type: 'done', stats }, () => {
      void db.end().finally(() => process.exit(0));
    });
  });
}

process.on('disconnect', () => process.exit(0));
main().catch((err: Error) => {
  process.send?.({ type: 'error', message: err.message });
  process.exit(1);
});
