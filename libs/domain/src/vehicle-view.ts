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
  /** When this state was committed, ISO 8601. */
  updatedAt: string;
}

/** The columns of a vehicle's view as the state stream carries it; select or return exactly these. */
export const VEHICLE_VIEW_COLUMNS = `v.vehicle_id AS id, ST_Y(v.position::geometry) AS lat, ST_X(v.position::geometry) AS lon,
  v.heading_deg, v.speed_kmh, v.fuel_pct, v.battery_pct, v.locked, v.online, v.state, v.fix_at, v.updated_at`;

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
