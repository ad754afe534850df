import { queryRows } from '@fleet/domain';
import { Injectable } from '@nestjs/common';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { DataSource } from 'typeorm';
import { BookingConfig, tariffOf } from '../config/booking.config';
import {
  envelope,
  GbfsFeedName,
  gbfsManifest,
  GbfsSettings,
  GbfsTypeRow,
  GbfsZoneRow,
  geofencingZones,
  PLAN_ID,
  pricingPlans,
  systemInformation,
  vehicleIdKey,
  vehicleTypes,
} from './gbfs-feeds';
import { VEHICLE_TYPES_SQL, vehicleStatusSql } from './gbfs-sql';

const gzipAsync = promisify(gzip);

/** A feed's bytes, as they are sent. */
export interface GbfsBody {
  plain: Buffer;
  gzip: Buffer;
}

/**
 * Builds the GBFS feeds from the database and keeps each one's bytes for GBFS_TTL_S: readers poll
 * them, and vehicle_status of a large fleet is one pass over it. Requests arriving while a feed is
 * being built share that build; one arriving after the TTL waits for the next (no stale answers).
 */
@Injectable()
export class GbfsService {
  private readonly settings: GbfsSettings;
  private readonly idKey: Buffer;
  private readonly cache = new Map<GbfsFeedName, { until: number; body: Promise<GbfsBody> }>();

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

  /**
   * A feed as JSON and gzipped (vehicle_status of 100,000 cars: 30 MB, about 3 MB gzipped), from memory
   * while it is fresh; both are made once per build, the gzip off the event loop.
   */
  feed(name: GbfsFeedName): Promise<GbfsBody> {
    const now = Date.now();
    const held = this.cache.get(name);
    if (held && held.until > now) return held.body;
    const body = this.build(name, new Date(now)).then(async (json) => {
      const plain = Buffer.from(json);
      return { plain, gzip: await gzipAsync(plain) };
    });
    this.cache.set(name, { until: now + this.settings.ttlS * 1000, body });
    // A failed build is not kept: the next request tries again.
    body.catch(() => this.cache.get(name)?.body === body && this.cache.delete(name));
    return body;
  }

  private async build(name: GbfsFeedName, now: Date): Promise<string> {
    const json = (data: unknown) => JSON.stringify(envelope(data, this.settings, now));
    switch (name) {
      case 'system_information':
        return json(systemInformation(this.settings));
      case 'system_pricing_plans':
        return json(pricingPlans(this.settings));
      case 'vehicle_types':
        return json(vehicleTypes(await this.types(), this.settings));
      case 'geofencing_zones':
        return json(geofencingZones(await this.zones(), this.settings));
      case 'vehicle_status': {
        const [{ vehicles }] = await queryRows<{ vehicles: string }>(
          this.dataSource,
          vehicleStatusSql(this.config),
          [this.idKey, PLAN_ID],
        );
        const [head, tail] = json({ vehicles: [] }).split('"vehicles":[]');
        return `${head}"vehicles":[${vehicles}]${tail}`;
      }
    }
  }

  private types(): Promise<GbfsTypeRow[]> {
    return queryRows<GbfsTypeRow>(this.dataSource, VEHICLE_TYPES_SQL);
  }

  private zones(): Promise<GbfsZoneRow[]> {
    return queryRows<GbfsZoneRow>(
      this.dataSource,
      `SELECT name, kind, ST_AsGeoJSON(geometry, 7)::json AS geometry FROM zones ORDER BY created_at, id`,
    );
  }
}
