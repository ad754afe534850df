import { hashMqttPassword } from '@fleet/domain';
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
 * Adds the demo cars (by id: existing ones are kept) and gives every demo car `mqttPassword` (username:
 * its id). Safe to run at every start; returns how many cars were new.
 */
export async function seedDemoVehicles(
  db: Client,
  vehicles: readonly DemoVehicle[],
  mqttPassword: string,
): Promise<number> {
  const ids = vehicles.map((v) => v.id);
  const { rowCount } = await db.query(
    `INSERT INTO vehicles (id, plate, model, propulsion, vehicle_type_id)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])
     ON CONFLICT (id) DO NOTHING`,
    [
      ids,
      vehicles.map((v) => v.plate),
      vehicles.map((v) => v.model),
      vehicles.map((v) => v.propulsion),
      vehicles.map((v) => v.vehicleTypeId),
    ],
  );
  await db.query(
    `UPDATE vehicles SET mqtt_username = id, mqtt_password_hash = $2 WHERE id = ANY($1::text[])`,
    [ids, hashMqttPassword(mqttPassword)],
  );
  return rowCount ?? 0;
}

/**
 * Adds the demo city's zones through the booking API as an operator (validated as any operator's,
 * and every booking process sees them: the one that takes the write at once, the others at their
 * next resync). A zone of the same name and kind is kept. Returns how many were new.
 */
export async function seedDemoZones(
  bookingUrl: string,
  operatorToken: string,
  city: DemoCity,
): Promise<number> {
  const headers = { authorization: `Bearer ${operatorToken}`, 'content-type': 'application/json' };
  const listed = await fetch(`${bookingUrl}/api/v1/zones`, { headers });
  if (!listed.ok) throw new Error(`GET /zones answered ${listed.status}`);
  const { zones } = (await listed.json()) as { zones: { name: string; kind: string }[] };
  let added = 0;
  for (const zone of city.zones) {
    if (zones.some((z) => z.name === zone.name && z.kind === zone.kind)) continue;
    const res = await fetch(`${bookingUrl}/api/v1/zones`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ name: zone.name, kind: zone.kind, geometry: zone.geometry }),
    });
    if (res.status !== 201)
      throw new Error(`POST /zones ${zone.name} answered ${res.status}: ${await res.text()}`);
    added++;
  }
  return added;
}

/** What a car's box remembers across a restart of the demo. */
export interface KnownCar {
  lat: number;
  lon: number;
  /** The last `seq` the platform stored (the box goes on counting from it). */
  seq: number | null;
  energyPct: number | null;
  /** The highest command counter the platform handed out to it (no command the box took is above it). */
  commandCounter: number;
}

/** The last known state of these cars: a restarted demo goes on where its cars stood. */
export async function knownCars(db: Client, ids: readonly string[]): Promise<Map<string, KnownCar>> {
  const { rows } = await db.query<{
    id: string;
    lat: number;
    lon: number;
    seq: string | null;
    energy: number | null;
    counter: string;
  }>(
    `SELECT s.vehicle_id AS id, ST_Y(s.position::geometry) AS lat, ST_X(s.position::geometry) AS lon, s.seq,
            coalesce(s.battery_pct, s.fuel_pct) AS energy, v.command_counter AS counter
       FROM vehicle_state s JOIN vehicles v ON v.id = s.vehicle_id
      WHERE s.vehicle_id = ANY($1) AND s.position IS NOT NULL`,
    [ids],
  );
  return new Map(
    rows.map((r) => [
      r.id,
      {
        lat: r.lat,
        lon: r.lon,
        seq: r.seq === null ? null : Number(r.seq),
        energyPct: r.energy,
        commandCounter: Number(r.counter),
      },
    ]),
  );
}
