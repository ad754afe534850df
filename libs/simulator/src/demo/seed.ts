import type { Client } from 'pg';
import type { DemoCity } from './demo-city';

export interface DemoVehicle {
  id: string;
  plate: string;
  model: string;
  propulsion: 'electric' | 'combustion';
  vehicleTypeId: string;
}

/** The demo fleet: `count` cars, every other one electric (two vehicle types). */
export function demoVehicles(count: number): DemoVehicle[] {
  return Array.from({ length: count }, (_, i) => {
    const electric = i % 2 === 0;
    const n = String(i + 1).padStart(4, '0');
    return {
      id: `DEMO-${n}`,
      plate: `B-FL ${n}${electric ? 'E' : ''}`,
      model: electric ? 'VW ID.3' : 'VW Golf',
      propulsion: electric ? 'electric' : 'combustion',
      vehicleTypeId: electric ? 'compact-electric' : 'compact-combustion',
    };
  });
}

/**
 * Seeds the demo city: its zones (by name: an existing zone of the same name and kind is kept) and its
 * cars (by id: existing ones are kept). Safe to run at every start. Returns what it added.
 */
export async function seedDemoCity(
  db: Client,
  city: DemoCity,
  vehicles: readonly DemoVehicle[],
): Promise<{ zonesAdded: number; vehiclesAdded: number }> {
  let zonesAdded = 0;
  for (const zone of city.zones) {
    const { rowCount } = await db.query(
      `INSERT INTO zones (name, kind, geometry)
       SELECT $1, $2, ST_Multi(ST_GeomFromGeoJSON($3))::geography
        WHERE NOT EXISTS (SELECT 1 FROM zones WHERE name = $1 AND kind = $2)`,
      [zone.name, zone.kind, JSON.stringify(zone.geometry)],
    );
    zonesAdded += rowCount ?? 0;
  }
  const { rowCount } = await db.query(
    `INSERT INTO vehicles (id, plate, model, propulsion, vehicle_type_id)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])
     ON CONFLICT (id) DO NOTHING`,
    [
      vehicles.map((v) => v.id),
      vehicles.map((v) => v.plate),
      vehicles.map((v) => v.model),
      vehicles.map((v) => v.propulsion),
      vehicles.map((v) => v.vehicleTypeId),
    ],
  );
  return { zonesAdded, vehiclesAdded: rowCount ?? 0 };
}

/** What a car's box remembers across a restart of the demo. */
export interface KnownCar {
  lat: number;
  lon: number;
  /** The last `seq` the platform stored (the box goes on counting from it). */
  seq: number | null;
  energyPct: number | null;
}

/** The last known state of these cars: a restarted demo goes on where its cars stood. */
export async function knownCars(db: Client, ids: readonly string[]): Promise<Map<string, KnownCar>> {
  const { rows } = await db.query<{
    id: string;
    lat: number;
    lon: number;
    seq: string | null;
    energy: number | null;
  }>(
    `SELECT vehicle_id AS id, ST_Y(position::geometry) AS lat, ST_X(position::geometry) AS lon, seq,
            coalesce(battery_pct, fuel_pct) AS energy
       FROM vehicle_state WHERE vehicle_id = ANY($1) AND position IS NOT NULL`,
    [ids],
  );
  return new Map(
    rows.map((r) => [
      r.id,
      { lat: r.lat, lon: r.lon, seq: r.seq === null ? null : Number(r.seq), energyPct: r.energy },
    ]),
  );
}
