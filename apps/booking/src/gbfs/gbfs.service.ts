import { queryRows } from '@fleet/domain';
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { BookingConfig, tariffOf } from '../config/booking.config';
import { bookableCondition } from '../vehicles/bookable';
import {
  envelope,
  GbfsCarRow,
  GbfsFeedName,
  gbfsManifest,
  GbfsSettings,
  GbfsTypeRow,
  GbfsZoneRow,
  geofencingZones,
  pricingPlans,
  systemInformation,
  vehicleIdKey,
  vehicleStatus,
  vehicleTypes,
} from './gbfs-feeds';

/**
 * Builds the GBFS feeds from the database and keeps each one, as JSON, for GBFS_TTL_S: readers poll
 * them, and vehicle_status of a large fleet is one pass over it. Requests arriving while a feed is
 * being built share that build.
 */
@Injectable()
export class GbfsService {
  private readonly settings: GbfsSettings;
  private readonly idKey: Buffer;
  private readonly cache = new Map<GbfsFeedName, { until: number; body: Promise<string> }>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly config: BookingConfig,
  ) {
    this.settings = {
      systemId: config.GBFS_SYSTEM_ID,
      systemName: config.GBFS_SYSTEM_NAME,
      language: config.GBFS_LANGUAGE,
      timezone: config.GBFS_TIMEZONE,
      contactEmail: config.GBFS_CONTACT_EMAIL,
      ttlS: config.GBFS_TTL_S,
      tariff: tariffOf(config),
      defaultMaxRangeKm: {
        electric: config.GBFS_MAX_RANGE_KM_ELECTRIC,
        combustion: config.GBFS_MAX_RANGE_KM_COMBUSTION,
      },
    };
    this.idKey = vehicleIdKey(config.JWT_SECRET);
  }

  get ttlS(): number {
    return this.settings.ttlS;
  }

  /** gbfs.json for feeds reached under `baseUrl`. */
  manifest(baseUrl: string): string {
    return JSON.stringify(envelope(gbfsManifest(baseUrl), this.settings, new Date()));
  }

  /** A feed as JSON, from memory while it is fresh. */
  feed(name: GbfsFeedName): Promise<string> {
    const now = Date.now();
    const held = this.cache.get(name);
    if (held && held.until > now) return held.body;
    const body = this.build(name).then((data) =>
      JSON.stringify(envelope(data, this.settings, new Date(now))),
    );
    this.cache.set(name, { until: now + this.settings.ttlS * 1000, body });
    // A failed build is not kept: the next request tries again.
    body.catch(() => this.cache.get(name)?.body === body && this.cache.delete(name));
    return body;
  }

  private async build(name: GbfsFeedName): Promise<unknown> {
    switch (name) {
      case 'system_information':
        return systemInformation(this.settings);
      case 'system_pricing_plans':
        return pricingPlans(this.settings);
      case 'vehicle_types':
        return vehicleTypes(await this.types(), this.settings);
      case 'vehicle_status':
        return vehicleStatus(await this.cars(), this.idKey);
      case 'geofencing_zones':
        return geofencingZones(await this.zones(), this.settings);
    }
  }

  /** Every model and propulsion in the fleet, with the longest range one of its cars reports. */
  private types(): Promise<GbfsTypeRow[]> {
    return queryRows<GbfsTypeRow>(
      this.dataSource,
      `SELECT v.model, v.propulsion, max(s.range_km)::float8 AS "maxRangeKm"
         FROM vehicles v JOIN vehicle_state s ON s.vehicle_id = v.id
        WHERE v.operational_status <> 'removed'
        GROUP BY v.model, v.propulsion ORDER BY v.propulsion, v.model`,
    );
  }

  /**
   * Cars not in a rental, with a position: available, reserved, in maintenance, and offline ones that
   * were one of those. Never a car on a trip or parked during one (GBFS: vehicles in an active rental
   * must not appear), nor a removed one.
   */
  private cars(): Promise<GbfsCarRow[]> {
    return queryRows<GbfsCarRow>(
      this.dataSource,
      `SELECT v.id, v.model, v.propulsion, s.state,
              ST_Y(s.position::geometry) AS lat, ST_X(s.position::geometry) AS lon,
              (${bookableCondition(this.config)}) AS bookable,
              s.last_seen_at AS "lastReportedAt", s.fuel_pct AS "fuelPct", s.battery_pct AS "batteryPct",
              s.range_km AS "rangeKm",
              (SELECT t.id FROM trips t WHERE t.vehicle_id = v.id ORDER BY t.started_at DESC LIMIT 1) AS "lastTripId"
         FROM vehicles v JOIN vehicle_state s ON s.vehicle_id = v.id
        WHERE v.operational_status <> 'removed' AND s.position IS NOT NULL
          AND (s.state IN ('available', 'reserved', 'non_operational')
               OR (s.state = 'non_contactable'
                   AND s.state_before_offline IN ('available', 'reserved', 'non_operational')))`,
    );
  }

  private zones(): Promise<GbfsZoneRow[]> {
    return queryRows<GbfsZoneRow>(
      this.dataSource,
      `SELECT name, kind, ST_AsGeoJSON(geometry, 7)::json AS geometry FROM zones ORDER BY created_at, id`,
    );
  }
}
