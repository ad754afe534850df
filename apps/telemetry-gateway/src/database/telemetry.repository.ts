import { RejectReason, TelemetrySample } from '@fleet/contracts';
import { queryRows, toVehicleView, VEHICLE_VIEW_COLUMNS, VehicleView, VehicleViewRow } from '@fleet/domain';
import { TimedFix } from '@fleet/geo';
import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';

/** What a batch needs to know of a vehicle before writing. */
export interface VehicleSnapshot {
  lastFix: TimedFix | null;
  /** Highest seq in the latest state (seq increases per car). */
  lastSeq: number | null;
  online: boolean;
  locked: boolean | null;
}

/** A row for the quarantine table. */
export interface QuarantineRow {
  topic: string;
  vehicleId: string | null;
  reason: RejectReason;
  details: string;
  sampleIndex: number | null;
  payload: Buffer;
}

/**
 * Samples as column arrays, the parameters of `unnest(...)`: typed arrays parse much faster in
 * PostgreSQL than JSON records (measured: a 1000-sample insert 26 ms instead of 60 ms).
 */
function columns(samples: TelemetrySample[]): unknown[] {
  return [
    samples.map((s) => s.vehicleId),
    samples.map((s) => s.tsMs),
    samples.map((s) => s.seq),
    samples.map((s) => s.lat),
    samples.map((s) => s.lon),
    samples.map((s) => s.accuracyM),
    samples.map((s) => s.headingDeg),
    samples.map((s) => s.speedKmh),
    samples.map((s) => s.odometerKm),
    samples.map((s) => s.rangeKm),
    samples.map((s) => s.fuelPct),
    samples.map((s) => s.batteryPct),
    samples.map((s) => s.locked),
    samples.map((s) => s.ignition),
    samples.map((s) => s.doorsClosed),
  ];
}

const SAMPLE_ARRAYS = `$1::text[], $2::bigint[], $3::bigint[], $4::float8[], $5::float8[], $6::float8[], $7::float8[],
                       $8::float8[], $9::float8[], $10::float8[], $11::float8[], $12::float8[], $13::boolean[],
                       $14::boolean[], $15::boolean[]`;
const SAMPLE_COLUMNS = `v, t, q, la, lo, am, hd, sp, od, rk, fu, ba, lk, ig, dc`;
/** The samples' columns plus a 16th array: whether each sample's seq may repeat a stored one. */
const SAMPLES_WITH_CHECK = `unnest(${SAMPLE_ARRAYS}, $16::boolean[]) AS s(${SAMPLE_COLUMNS}, chk)`;
const FIX_AT = `to_timestamp(s.t / 1000.0)`;
const POINT = `ST_SetSRID(ST_MakePoint(s.lo, s.la), 4326)::geography`;

/**
 * The set-based SQL of telemetry ingest: every statement takes a whole batch (column arrays read with
 * unnest), never one statement per sample. Runs inside the caller's transaction.
 */
@Injectable()
export class TelemetryRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** The manager for statements outside a batch transaction. */
  get manager(): EntityManager {
    return this.dataSource.manager;
  }

  /**
   * The batch's vehicles as stored (no row locks: latest-state updates are conditional on fix time
   * and comms transitions on the online flag, so concurrent batches and instances stay consistent).
   */
  async snapshots(db: EntityManager, vehicleIds: string[]): Promise<Map<string, VehicleSnapshot>> {
    const rows = await queryRows<{
      vehicle_id: string;
      t: string | null;
      seq: string | null;
      lat: number | null;
      lon: number | null;
      online: boolean;
      locked: boolean | null;
    }>(
      db,
      `SELECT vehicle_id, (extract(epoch FROM fix_at) * 1000)::bigint AS t, seq,
              ST_Y(position::geometry) AS lat, ST_X(position::geometry) AS lon, online, locked
         FROM vehicle_state WHERE vehicle_id = ANY($1::text[])`,
      [vehicleIds],
    );
    return new Map(
      rows.map((r) => [
        r.vehicle_id,
        {
          lastFix:
            r.t === null || r.lat === null || r.lon === null
              ? null
              : { tsMs: Number(r.t), lat: r.lat, lon: r.lon },
          lastSeq: r.seq === null ? null : Number(r.seq),
          online: r.online,
          locked: r.locked,
        },
      ]),
    );
  }

  /**
   * Writes accepted samples in one statement, atomic on its own:
   * - appends them to history, absorbing duplicates: the same (vehicle, fix time), or the same
   *   (vehicle, seq) within a day of the fix. The seq probe runs only for samples flagged in
   *   `seqMayRepeat` (a seq not above the car's last known one); others cannot repeat a stored seq;
   * - moves each vehicle's latest state to its newest new sample, only where that is newer than what
   *   is stored (the latest state never moves back in time);
   * - records that every vehicle in `heardFrom` was heard from, also those whose samples were late
   *   or repeated (for the silence timeout).
   * Returns how many samples were new and the vehicles whose latest state moved, as they are now.
   */
  async storeSamples(
    db: EntityManager,
    samples: TelemetrySample[],
    seqMayRepeat: boolean[],
    heardFrom: string[],
  ): Promise<{ inserted: number; updated: VehicleView[] }> {
    if (samples.length === 0) return { inserted: 0, updated: [] };
    const rows = await queryRows<VehicleViewRow & { inserted: number }>(
      db,
      `WITH ins AS (
         INSERT INTO telemetry (vehicle_id, fix_at, seq, position, accuracy_m, heading_deg, speed_kmh, odometer_km,
                                range_km, fuel_pct, battery_pct, locked, ignition, doors_closed)
         SELECT s.v, ${FIX_AT}, s.q, ${POINT}, s.am, s.hd, s.sp, s.od, s.rk, s.fu, s.ba, s.lk, s.ig, s.dc
           FROM ${SAMPLES_WITH_CHECK}
          WHERE NOT s.chk OR NOT EXISTS (
                  SELECT 1 FROM telemetry h
                   WHERE h.vehicle_id = s.v AND h.seq = s.q
                     AND h.fix_at BETWEEN ${FIX_AT} - interval '1 day' AND ${FIX_AT} + interval '1 day')
         ON CONFLICT (vehicle_id, fix_at) DO NOTHING
         RETURNING *
       ), newest AS (
         SELECT DISTINCT ON (vehicle_id) * FROM ins ORDER BY vehicle_id, fix_at DESC
       ), upd AS (
         UPDATE vehicle_state v
            SET position = n.position, fix_at = n.fix_at, seq = n.seq, accuracy_m = n.accuracy_m,
                heading_deg = n.heading_deg, speed_kmh = n.speed_kmh, odometer_km = n.odometer_km,
                range_km = n.range_km, fuel_pct = n.fuel_pct, battery_pct = n.battery_pct, locked = n.locked,
                ignition = n.ignition, doors_closed = n.doors_closed, last_seen_at = now(), updated_at = now()
           FROM newest n
          WHERE v.vehicle_id = n.vehicle_id AND (v.fix_at IS NULL OR v.fix_at < n.fix_at)
          RETURNING ${VEHICLE_VIEW_COLUMNS}
       ), touched AS (
         -- The rows upd wrote are left out: a statement must not update a row twice.
         UPDATE vehicle_state SET last_seen_at = now()
          WHERE vehicle_id = ANY($17::text[]) AND vehicle_id NOT IN (SELECT id FROM upd)
       )
       SELECT (SELECT count(*) FROM ins)::int AS inserted, upd.* FROM (VALUES (1)) one LEFT JOIN upd ON true`,
      [...columns(samples), seqMayRepeat, heardFrom],
    );
    return {
      inserted: rows[0]?.inserted ?? 0,
      updated: rows.filter((r) => r.id !== null).map(toVehicleView),
    };
  }

  /** Keeps rejected payloads with their reasons; payloads are cut to `maxStoredBytes`. */
  async insertQuarantine(db: EntityManager, rows: QuarantineRow[], maxStoredBytes: number): Promise<void> {
    if (rows.length === 0) return;
    await queryRows(
      db,
      `INSERT INTO telemetry_quarantine (topic, vehicle_id, reason, details, sample_index, payload, payload_bytes)
       SELECT r.topic, r.vehicle_id, r.reason, r.details, r.sample_index, decode(r.payload, 'base64'), r.payload_bytes
         FROM json_to_recordset($1::json)
           AS r(topic text, vehicle_id text, reason text, details text, sample_index int, payload text, payload_bytes int)`,
      [
        JSON.stringify(
          rows.map((r) => ({
            topic: stripNul(r.topic),
            vehicle_id: r.vehicleId,
            reason: r.reason,
            details: stripNul(r.details).slice(0, 2000),
            sample_index: r.sampleIndex,
            payload: r.payload.subarray(0, maxStoredBytes).toString('base64'),
            payload_bytes: r.payload.length,
          })),
        ),
      ],
    );
  }

  /** Makes daily history partitions from yesterday to `daysAhead` days ahead; returns how many were new. */
  async ensurePartitions(daysAhead: number): Promise<number> {
    const [row] = await queryRows<{ made: number }>(
      this.dataSource,
      `SELECT fleet_ensure_telemetry_partitions(current_date - 1, current_date + $1::int) AS made`,
      [daysAhead],
    );
    return row.made;
  }

  /** Drops daily history partitions wholly older than `days` days; returns their names. */
  async dropPartitionsOlderThan(days: number): Promise<string[]> {
    const rows = await queryRows<{ name: string }>(
      this.dataSource,
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'telemetry'::regclass AND c.relname ~ '^telemetry_p[0-9]{8}$'
          AND to_date(substr(c.relname, 12), 'YYYYMMDD') < current_date - $1::int`,
      [days],
    );
    for (const { name } of rows) await queryRows(this.dataSource, `DROP TABLE IF EXISTS "${name}"`);
    return rows.map((r) => r.name);
  }
}

/** PostgreSQL text cannot hold U+0000. */
function stripNul(text: string): string {
  return text.split('\u0000').join('\\u0000');
}
