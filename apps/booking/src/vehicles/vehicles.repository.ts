import { hashMqttPassword, queryRows, VehicleState } from '@fleet/domain';
import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';

export type Propulsion = 'combustion' | 'electric';
export type OperationalStatus = 'active' | 'maintenance' | 'removed';

export interface NewVehicle {
  id: string;
  plate: string;
  model: string;
  propulsion: Propulsion;
  vehicleTypeId?: string;
}

/** A vehicle with its latest state, as operators see it. */
export interface VehicleRow {
  id: string;
  plate: string;
  model: string;
  propulsion: Propulsion;
  vehicleTypeId: string | null;
  operationalStatus: OperationalStatus;
  state: VehicleState;
  stateBeforeOffline: VehicleState | null;
  online: boolean;
  lat: number | null;
  lon: number | null;
  lastFixAt: Date | null;
  lastSeenAt: Date | null;
  locked: boolean | null;
  ignition: boolean | null;
  doorsClosed: boolean | null;
  fuelPct: number | null;
  batteryPct: number | null;
  rangeKm: number | null;
  speedKmh: number | null;
  heading: number | null;
  odometerKm: number | null;
}

const COLUMNS = `v.id, v.plate, v.model, v.propulsion, v.vehicle_type_id AS "vehicleTypeId",
  v.operational_status AS "operationalStatus", s.state, s.state_before_offline AS "stateBeforeOffline", s.online,
  ST_Y(s.position::geometry) AS lat, ST_X(s.position::geometry) AS lon, s.fix_at AS "lastFixAt",
  s.last_seen_at AS "lastSeenAt", s.locked, s.ignition, s.doors_closed AS "doorsClosed", s.fuel_pct AS "fuelPct",
  s.battery_pct AS "batteryPct", s.range_km AS "rangeKm", s.speed_kmh AS "speedKmh", s.heading_deg AS heading,
  s.odometer_km AS "odometerKm"`;

/** A quarantined telemetry message, as operators inspect it. */
export interface RejectRow {
  id: string;
  receivedAt: Date;
  topic: string;
  vehicleId: string | null;
  reason: string;
  details: string;
  sampleIndex: number | null;
  payloadBytes: number;
  payloadHead: Buffer;
}

/** Vehicles as the operator manages them: registration, state, quarantined telemetry. */
@Injectable()
export class VehiclesRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Replaces a vehicle's MQTT password (stored hashed); false when there is no such vehicle. */
  async setMqttPassword(id: string, mqttPassword: string): Promise<boolean> {
    const rows = await queryRows(
      this.dataSource,
      `UPDATE vehicles SET mqtt_password_hash = $2 WHERE id = $1 RETURNING id`,
      [id, hashMqttPassword(mqttPassword)],
    );
    return rows.length === 1;
  }

  /** Registers a vehicle with its MQTT password (stored hashed); false when the id is taken. */
  async insert(v: NewVehicle, mqttPassword: string): Promise<boolean> {
    const rows = await queryRows(
      this.dataSource,
      `INSERT INTO vehicles (id, plate, model, propulsion, vehicle_type_id, mqtt_username, mqtt_password_hash)
       VALUES ($1, $2, $3, $4, $5, $1, $6) ON CONFLICT DO NOTHING RETURNING id`,
      [v.id, v.plate, v.model, v.propulsion, v.vehicleTypeId ?? null, hashMqttPassword(mqttPassword)],
    );
    return rows.length > 0;
  }

  /** One vehicle, optionally locking its state row for a change. */
  async find(id: string, db: DataSource | EntityManager = this.dataSource, forUpdate = false) {
    const [row] = await queryRows<VehicleRow>(
      db,
      `SELECT ${COLUMNS} FROM vehicles v JOIN vehicle_state s ON s.vehicle_id = v.id WHERE v.id = $1
       ${forUpdate ? 'FOR UPDATE OF s' : ''}`,
      [id],
    );
    return row;
  }

  /** Vehicles in id order, after `after`, at most `limit`. */
  list(limit: number, after = ''): Promise<VehicleRow[]> {
    return queryRows<VehicleRow>(
      this.dataSource,
      `SELECT ${COLUMNS} FROM vehicles v JOIN vehicle_state s ON s.vehicle_id = v.id
        WHERE v.id > $2 ORDER BY v.id LIMIT $1`,
      [limit, after],
    );
  }

  async setOperationalStatus(db: EntityManager, id: string, status: OperationalStatus): Promise<void> {
    await queryRows(db, `UPDATE vehicles SET operational_status = $2, updated_at = now() WHERE id = $1`, [
      id,
      status,
    ]);
  }

  /** Quarantined telemetry, newest first, optionally of one vehicle and before an id (paging). */
  rejects(limit: number, vehicleId?: string, beforeId?: string): Promise<RejectRow[]> {
    return queryRows<RejectRow>(
      this.dataSource,
      `SELECT id::text, received_at AS "receivedAt", topic, vehicle_id AS "vehicleId", reason, details,
              sample_index AS "sampleIndex", payload_bytes AS "payloadBytes",
              substring(payload FROM 1 FOR 4096) AS "payloadHead"
         FROM telemetry_quarantine
        WHERE ($2::text IS NULL OR vehicle_id = $2) AND ($3::bigint IS NULL OR id < $3)
        ORDER BY id DESC LIMIT $1`,
      [limit, vehicleId ?? null, beforeId ?? null],
    );
  }
}
