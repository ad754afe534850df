import { DataSource, EntityManager } from 'typeorm';
import { queryRows } from './query-rows';
import { VehicleState } from './vehicle-state';

/** A vehicle's latest state as the state stream carries it (the live map's and booking's view). */
export interface VehicleView {
  id: string;
  lat: number | null;
  lon: number | null;
  headingDeg: number | null;
  speedKmh: number | null;
  fuelPct: number | null;
  batteryPct: number | null;
  locked: boolean | null;
  online: boolean;
  state: VehicleState;
  /** Fix time of the position, ISO 8601. */
  fixAt: string | null;
  /** When this state was written (its transaction's start), ISO 8601. */
  updatedAt: string;
  /** One more at every update of the car's state: the newer of two views has the higher version. */
  version: number;
}

/** The columns of a vehicle's view as the state stream carries it; select or return exactly these. */
export const VEHICLE_VIEW_COLUMNS = `v.vehicle_id AS id, ST_Y(v.position::geometry) AS lat, ST_X(v.position::geometry) AS lon,
  v.heading_deg, v.speed_kmh, v.fuel_pct, v.battery_pct, v.locked, v.online, v.state, v.fix_at, v.updated_at,
  v.version::float8 AS version`;

export interface VehicleViewRow {
  id: string;
  lat: number | null;
  lon: number | null;
  heading_deg: number | null;
  speed_kmh: number | null;
  fuel_pct: number | null;
  battery_pct: number | null;
  locked: boolean | null;
  online: boolean;
  state: VehicleState;
  fix_at: Date | null;
  updated_at: Date;
  version: number;
}

export function toVehicleView(r: VehicleViewRow): VehicleView {
  return {
    id: r.id,
    lat: r.lat,
    lon: r.lon,
    headingDeg: r.heading_deg,
    speedKmh: r.speed_kmh,
    fuelPct: r.fuel_pct,
    batteryPct: r.battery_pct,
    locked: r.locked,
    online: r.online,
    state: r.state,
    fixAt: r.fix_at?.toISOString() ?? null,
    updatedAt: r.updated_at.toISOString(),
    version: r.version,
  };
}

/** The current views of these vehicles, as the state stream carries them. */
export async function readVehicleViews(
  db: DataSource | EntityManager,
  vehicleIds: readonly string[],
): Promise<VehicleView[]> {
  if (vehicleIds.length === 0) return [];
  const rows = await queryRows<VehicleViewRow>(
    db,
    `SELECT ${VEHICLE_VIEW_COLUMNS} FROM vehicle_state v WHERE v.vehicle_id = ANY($1)`,
    [vehicleIds],
  );
  return rows.map(toVehicleView);
}

/**
 * Every vehicle's view, or those committed after `since`, and the database time just before the
 * read (the next read's `since`, less a margin for transactions that were still open).
 */
export async function readVehicleViewsSince(
  db: DataSource | EntityManager,
  since: Date | null,
): Promise<{ views: VehicleView[]; readAt: Date }> {
  const [{ now }] = await queryRows<{ now: Date }>(db, `SELECT now() AS now`);
  const rows = await queryRows<VehicleViewRow>(
    db,
    `SELECT ${VEHICLE_VIEW_COLUMNS} FROM vehicle_state v WHERE $1::timestamptz IS NULL OR v.updated_at > $1`,
    [since],
  );
  return { views: rows.map(toVehicleView), readAt: now };
}
