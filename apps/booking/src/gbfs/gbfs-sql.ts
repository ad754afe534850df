import { BookingConfig } from '../config/booking.config';
import { bookableCondition } from '../vehicles/bookable';

/**
 * The SQL of the fleet-sized GBFS feeds. vehicle_status is written by PostgreSQL as JSON text: built
 * in JavaScript, 100,000 cars took a second of CPU and enough live objects that the collector paused
 * the API for up to 0.4 s (measured); PostgreSQL writes the same text in its own process.
 */

/**
 * A vehicle type's id from `model` and `propulsion` columns, e.g. `electric-vw-id-3`, `electric-skoda-enyaq-iv`:
 * the one definition, for vehicle_types and vehicle_status alike.
 */
export function vehicleTypeIdSql(model: string, propulsion: string): string {
  const slug = `trim(both '-' from regexp_replace(lower(regexp_replace(normalize(${model}, NFKD), '[\\u0300-\\u036f]', '', 'g')), '[^a-z0-9]+', '-', 'g'))`;
  return `(${propulsion} || '-' || coalesce(nullif(${slug}, ''), 'car'))`;
}

/** Every model and propulsion in the fleet, its type id, and the longest range one of its cars reports. */
export const VEHICLE_TYPES_SQL = `
  SELECT ${vehicleTypeIdSql('v.model', 'v.propulsion')} AS "typeId", v.model, v.propulsion,
         max(s.range_km)::float8 AS "maxRangeKm"
    FROM vehicles v JOIN vehicle_state s ON s.vehicle_id = v.id
   WHERE v.operational_status <> 'removed'
   GROUP BY v.model, v.propulsion ORDER BY v.propulsion, v.model`;

/**
 * vehicle_status's `vehicles`, as the text of the array's items (`{...},{...}`): $1 the id key
 * (bytea), $2 the pricing plan's id.
 *
 * - Which cars: not in a rental, with a position: available, reserved, in maintenance, and offline ones
 *   that were one of those. Never a car on a trip or parked during one (GBFS: vehicles in an active
 *   rental must not appear), nor a removed one.
 * - `vehicle_id`: SHA-256 of the key and the car's id and latest trip's id, 128 bits in URL-safe
 *   base64: the same between two trips, new after each (GBFS: "MUST be rotated ... after each trip"),
 *   unlinkable to the car without the key.
 * - Ordered by that id: an order of ours would let a reader follow a car across rotations by its
 *   place in the list.
 * - `is_disabled`: cannot be rented now (the nearby search's bookable rule fails), unless reserved.
 * - Energy as a fraction, range in metres; unknown fields left out.
 */
export function vehicleStatusSql(config: BookingConfig): string {
  return `
    WITH cars AS (
      SELECT v.id, s.state, ST_Y(s.position::geometry) AS lat, ST_X(s.position::geometry) AS lon,
             (${bookableCondition(config)}) AS bookable, s.last_seen_at, s.range_km,
             CASE v.propulsion WHEN 'electric' THEN s.battery_pct ELSE s.fuel_pct END AS energy_pct,
             ${vehicleTypeIdSql('v.model', 'v.propulsion')} AS type_id,
             (SELECT t.id FROM trips t WHERE t.vehicle_id = v.id ORDER BY t.started_at DESC LIMIT 1) AS last_trip
        FROM vehicles v JOIN vehicle_state s ON s.vehicle_id = v.id
       WHERE v.operational_status <> 'removed' AND s.position IS NOT NULL
         AND (s.state IN ('available', 'reserved', 'non_operational')
              OR (s.state = 'non_contactable'
                  AND s.state_before_offline IN ('available', 'reserved', 'non_operational')))
    ), listed AS (
      SELECT translate(encode(substring(sha256($1::bytea || convert_to(id || E'\\n' || coalesce(last_trip::text, ''), 'UTF8'))
                                        FROM 1 FOR 16), 'base64'), '+/=', '-_') AS vehicle_id, *
        FROM cars
    )
    SELECT coalesce(string_agg(jsonb_strip_nulls(jsonb_build_object(
             'vehicle_id', vehicle_id,
             'lat', lat,
             'lon', lon,
             'is_reserved', state = 'reserved',
             'is_disabled', state <> 'reserved' AND NOT bookable,
             'vehicle_type_id', type_id,
             'pricing_plan_id', $2::text,
             'last_reported', to_char(last_seen_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
             'current_fuel_percent', least(1, greatest(0, energy_pct / 100.0)),
             'current_range_meters', greatest(0, round(range_km * 1000))
           ))::text, ',' ORDER BY vehicle_id COLLATE "C"), '') AS vehicles
      FROM listed`;
}
