import { createCheckers, ITypeSuite } from 'ts-interface-checker';
import type { Gbfs } from 'gbfs-typescript-types/v3.0/gbfs';
import type { GeofencingZones } from 'gbfs-typescript-types/v3.0/geofencing_zones';
import type { SystemInformation } from 'gbfs-typescript-types/v3.0/system_information';
import type { SystemPricingPlans } from 'gbfs-typescript-types/v3.0/system_pricing_plans';
import type { VehicleStatus } from 'gbfs-typescript-types/v3.0/vehicle_status';
import type { VehicleTypes } from 'gbfs-typescript-types/v3.0/vehicle_types';

/**
 * The problems of a GBFS v3.0 feed, for tests: the structure and enums by MobilityData's own type
 * checkers (gbfs-typescript-types), plus the rules of gbfs-json-schema v3.0 those types cannot carry
 * (formats, ranges, conditional requirements). Empty when the feed is valid.
 */
export async function gbfsProblems<F extends GbfsFeed>(name: F, feed: unknown): Promise<string[]> {
  const problems: string[] = [];
  const [suite, root] = await checkerSuite(name);
  try {
    createCheckers(suite)[root].check(feed);
  } catch (err) {
    problems.push((err as Error).message);
    return problems;
  }
  const f = feed as { last_updated: string; ttl: number; data: FeedData[F] };
  const need = (ok: boolean, problem: string) => void (ok || problems.push(problem));
  need(RFC3339.test(f.last_updated), `last_updated is not RFC 3339: ${f.last_updated}`);
  need(Number.isInteger(f.ttl) && f.ttl >= 0, `ttl is not a non-negative integer: ${f.ttl}`);
  walkLocalized(f.data, '', (path, language) =>
    need(LANGUAGE.test(language), `${path}: language ${language} is not a BCP 47 tag`),
  );
  (RULES[name] as (data: FeedData[F], need: Need) => void)(f.data, need);
  return problems;
}

export type GbfsFeed =
  | 'gbfs'
  | 'system_information'
  | 'vehicle_types'
  | 'vehicle_status'
  | 'geofencing_zones'
  | 'system_pricing_plans';

/**
 * MobilityData's checkers for a feed, loaded when first asked for: they ship as TypeScript, which Jest
 * compiles but the scripts that import @fleet/testing through ts-node do not.
 */
async function checkerSuite(name: GbfsFeed): Promise<[ITypeSuite, string]> {
  const root = {
    gbfs: 'Gbfs',
    system_information: 'SystemInformation',
    vehicle_types: 'VehicleTypes',
    vehicle_status: 'VehicleStatus',
    geofencing_zones: 'GeofencingZones',
    system_pricing_plans: 'SystemPricingPlans',
  }[name];
  const suite = (await import(`gbfs-typescript-types/v3.0/test-type-checkers/${name}-ti`)) as {
    default: ITypeSuite;
  };
  return [suite.default, root];
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const LANGUAGE = /^[a-z]{2,3}(-[A-Z]{2})?$/;
const URI = /^[a-z][a-z0-9+.-]*:\/\/[^\s]+$/i;
const EMAIL = /^[^@\s]+@[^@\s]+$/;
const nonNegativeInteger = (n: unknown) => Number.isInteger(n) && (n as number) >= 0;

type Need = (ok: boolean, problem: string) => void;
/** The feeds' data, as MobilityData's types describe it (checked before the rules run). */
interface FeedData {
  gbfs: Gbfs['data'];
  system_information: SystemInformation['data'];
  vehicle_types: VehicleTypes['data'];
  vehicle_status: VehicleStatus['data'];
  geofencing_zones: GeofencingZones['data'];
  system_pricing_plans: SystemPricingPlans['data'];
}
const RULES: { [F in GbfsFeed]: (data: FeedData[F], need: Need) => void } = {
  gbfs: (data, need) => {
    const names: string[] = data.feeds.map((f) => f.name);
    need(names.includes('system_information'), 'gbfs.json lists no system_information');
    need(
      names.includes('vehicle_status') || names.includes('station_status'),
      'gbfs.json lists no status feed',
    );
    for (const f of data.feeds) need(URI.test(f.url), `feed ${f.name}: url ${f.url} is not a URI`);
  },
  system_information: (data, need) => {
    const known = ['system_id', 'languages', 'name', 'opening_hours', 'feed_contact_email', 'timezone'];
    for (const key of Object.keys(data)) need(known.includes(key), `system_information: unexpected ${key}`);
    need(EMAIL.test(data.feed_contact_email), 'feed_contact_email is not an e-mail address');
    need(Intl.supportedValuesOf('timeZone').includes(data.timezone), `timezone ${data.timezone} is not IANA`);
    need(
      data.languages.every((l) => LANGUAGE.test(l)),
      'languages: not BCP 47 tags',
    );
  },
  vehicle_types: (data, need) => {
    for (const t of data.vehicle_types) {
      if (t.propulsion_type !== 'human')
        need((t.max_range_meters ?? -1) >= 0, `${t.vehicle_type_id}: max_range_meters`);
    }
  },
  vehicle_status: (data, need) => {
    for (const v of data.vehicles) {
      need(v.lat !== undefined && v.lat >= -90 && v.lat <= 90, `${v.vehicle_id}: lat`);
      need(v.lon !== undefined && v.lon >= -180 && v.lon <= 180, `${v.vehicle_id}: lon`);
      if (v.current_fuel_percent !== undefined)
        need(
          v.current_fuel_percent >= 0 && v.current_fuel_percent <= 1,
          `${v.vehicle_id}: current_fuel_percent`,
        );
      if (v.current_range_meters !== undefined)
        need(v.current_range_meters >= 0, `${v.vehicle_id}: current_range_meters`);
      if (v.last_reported !== undefined)
        need(RFC3339.test(v.last_reported), `${v.vehicle_id}: last_reported`);
    }
  },
  geofencing_zones: (data, need) => {
    for (const [i, feature] of data.geofencing_zones.features.entries()) {
      for (const polygon of feature.geometry.coordinates)
        for (const ring of polygon) {
          need(ring.length >= 4, `zone ${i}: a ring of fewer than 4 positions`);
          need(
            ring.every((p) => p.length >= 2),
            `zone ${i}: a position of fewer than 2 numbers`,
          );
        }
    }
  },
  system_pricing_plans: (data, need) => {
    for (const p of data.plans) {
      need(/^\w{3}$/.test(p.currency), `${p.plan_id}: currency`);
      need(p.price >= 0, `${p.plan_id}: price`);
      for (const segment of [...(p.per_min_pricing ?? []), ...(p.per_km_pricing ?? [])]) {
        need(nonNegativeInteger(segment.start), `${p.plan_id}: segment start`);
        need(nonNegativeInteger(segment.interval), `${p.plan_id}: segment interval`);
        if (segment.end !== undefined) need(nonNegativeInteger(segment.end), `${p.plan_id}: segment end`);
      }
    }
  },
};

/** Calls `visit` for every localized string ({text, language}) anywhere in `value`. */
function walkLocalized(value: unknown, path: string, visit: (path: string, language: string) => void): void {
  if (Array.isArray(value)) value.forEach((item, i) => walkLocalized(item, `${path}.${i}`, visit));
  else if (typeof value === 'object' && value !== null) {
    const o = value as Record<string, unknown>;
    if (typeof o.text === 'string' && typeof o.language === 'string') visit(path, o.language);
    for (const [key, child] of Object.entries(o)) walkLocalized(child, path ? `${path}.${key}` : key, visit);
  }
}
