import { createHmac } from 'node:crypto';
import type { MultiPolygon } from 'geojson';
import type { Tariff } from '../pricing/pricing';
import type { Propulsion } from '../vehicles/vehicles.repository';

/**
 * The open-data feeds (GBFS v3.0, CONTRACT.md 2.6) built from rows: pure functions, so that every rule
 * of the specification we follow is in one place and unit-tested (gbfs-feeds.spec.ts).
 */

export const GBFS_VERSION = '3.0';

/** The feeds we publish, in the order gbfs.json lists them. */
export const GBFS_FEEDS = [
  'system_information',
  'vehicle_types',
  'vehicle_status',
  'geofencing_zones',
  'system_pricing_plans',
] as const;
export type GbfsFeedName = (typeof GBFS_FEEDS)[number];

/** The one pricing plan: the tariff of PRODUCT.md. */
export const PLAN_ID = 'standard';

export interface GbfsSettings {
  systemId: string;
  systemName: string;
  language: string;
  timezone: string;
  contactEmail: string;
  ttlS: number;
  tariff: Tariff;
  /** A type's `max_range_meters` unless one of its cars reported more, km. */
  defaultMaxRangeKm: Record<Propulsion, number>;
}

export interface GbfsTypeRow {
  /** `vehicleTypeIdSql`, e.g. `electric-vw-id-3`. */
  typeId: string;
  model: string;
  propulsion: Propulsion;
  /** The longest range a car of the type reports, km. */
  maxRangeKm: number | null;
}

export interface GbfsZoneRow {
  name: string;
  kind: 'business_area' | 'no_parking';
  geometry: MultiPolygon;
}

/** A text in the system's language (GBFS localized string). */
const text = (value: string, s: GbfsSettings) => [{ text: value, language: s.language }];

/** RFC 3339, whole seconds. */
const rfc3339 = (at: Date) => at.toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Every feed's envelope. */
export function envelope<T>(data: T, s: GbfsSettings, now: Date) {
  return { last_updated: rfc3339(now), ttl: s.ttlS, version: GBFS_VERSION, data };
}

/** gbfs.json: where each feed is, under `baseUrl` (no trailing slash). */
export function gbfsManifest(baseUrl: string) {
  return { feeds: GBFS_FEEDS.map((name) => ({ name, url: `${baseUrl}/${name}.json` })) };
}

export function systemInformation(s: GbfsSettings) {
  return {
    system_id: s.systemId,
    languages: [s.language],
    name: text(s.systemName, s),
    opening_hours: '24/7',
    feed_contact_email: s.contactEmail,
    timezone: s.timezone,
  };
}

export function vehicleTypes(types: readonly GbfsTypeRow[], s: GbfsSettings) {
  return {
    vehicle_types: types.map((t) => ({
      vehicle_type_id: t.typeId,
      form_factor: 'car',
      propulsion_type: t.propulsion,
      // Required for every motorised type.
      max_range_meters: Math.round(Math.max(t.maxRangeKm ?? 0, s.defaultMaxRangeKm[t.propulsion]) * 1000),
      name: text(t.model, s),
      model: text(t.model, s),
      return_constraint: 'free_floating',
      default_pricing_plan_id: PLAN_ID,
      pricing_plan_ids: [PLAN_ID],
    })),
  };
}

/**
 * The key that turns a car's id into its public, rotating id in vehicle_status (`vehicleStatusSql`):
 * derived from a secret of ours, so that nobody can link a public id to a car, or two trips' ids to
 * each other.
 */
export const vehicleIdKey = (secret: string): Buffer =>
  createHmac('sha256', secret).update('gbfs rotating vehicle ids').digest();

/** The rules of a zone: a trip may not end in a no-parking zone, may end in a business area. */
const RULES = {
  no_parking: { ride_start_allowed: true, ride_end_allowed: false, ride_through_allowed: true },
  business_area: { ride_start_allowed: true, ride_end_allowed: true, ride_through_allowed: true },
} as const;

/**
 * geofencing_zones: no-parking zones first (where zones overlap, the first listed wins, as in our
 * trip-end rule), then business areas; outside every zone (global rules) no trip starts or ends.
 */
export function geofencingZones(zones: readonly GbfsZoneRow[], s: GbfsSettings) {
  const ordered = [...zones].sort(
    (a, b) => Number(a.kind === 'business_area') - Number(b.kind === 'business_area'),
  );
  return {
    geofencing_zones: {
      type: 'FeatureCollection',
      features: ordered.map((zone) => ({
        type: 'Feature',
        geometry: zone.geometry,
        properties: { name: text(zone.name, s), rules: [RULES[zone.kind]] },
      })),
    },
    global_rules: [{ ride_start_allowed: false, ride_end_allowed: false, ride_through_allowed: true }],
  };
}

const money = (cents: number) => cents / 100;

/** system_pricing_plans: the tariff as one plan; what GBFS cannot express is in its description. */
export function pricingPlans(s: GbfsSettings) {
  const t = s.tariff;
  const amount = (cents: number) => `${money(cents).toFixed(2)} ${t.currency}`;
  const description =
    `Unlock ${amount(t.unlockCents)}, driving ${amount(t.driveCentsPerMin)}/min, parked during a trip ` +
    `${amount(t.parkCentsPerMin)}/min, reservations free for ${t.reservationFreeMin} min then ` +
    `${amount(t.reservationCentsPerMin)}/min, ${t.includedKm} km included then ${amount(t.centsPerKm)}/km; ` +
    `time charges capped at ${amount(t.dayCapCents)} per 24 hours.`;
  return {
    plans: [
      {
        plan_id: PLAN_ID,
        name: text('Standard', s),
        currency: t.currency,
        price: money(t.unlockCents),
        is_taxable: false,
        description: text(description, s),
        per_min_pricing: [{ start: 0, rate: money(t.driveCentsPerMin), interval: 1 }],
        ...(t.centsPerKm > 0
          ? { per_km_pricing: [{ start: t.includedKm, rate: money(t.centsPerKm), interval: 1 }] }
          : {}),
      },
    ],
  };
}
