import { BookingConfig } from '../config/booking.config';

/**
 * The SQL condition "this car is bookable" (PRODUCT.md) over `vehicle_state s` joined with
 * `vehicles v`: state available, online, in service, position fresh, enough fuel or battery, inside
 * a business area. One place, used by the nearby search and by the reservation's conditional claim.
 */
export function bookableCondition(config: BookingConfig): string {
  const minEnergy = Number(config.BOOKABLE_MIN_ENERGY_PCT);
  const maxAgeS = Number(config.BOOKABLE_MAX_FIX_AGE_S);
  return `s.state = 'available' AND s.online AND v.operational_status = 'active'
    AND s.position IS NOT NULL AND s.fix_at > now() - interval '${maxAgeS} seconds'
    AND (CASE v.propulsion WHEN 'electric' THEN s.battery_pct ELSE s.fuel_pct END) >= ${minEnergy}
    AND EXISTS (SELECT 1 FROM zones z WHERE z.kind = 'business_area' AND ST_Covers(z.shape, s.position::geometry))`;
}
