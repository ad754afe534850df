import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { Pool } from 'pg';
import { BookingConfig } from '../config/booking.config';
import { NEARBY_SESSION_OPTIONS, nearbySql } from './nearby-sql';

export interface NearbyRow {
  id: string;
  plate: string;
  model: string;
  propulsion: string;
  lat: number;
  lon: number;
  distanceM: number;
  fuelPct: number | null;
  batteryPct: number | null;
  rangeKm: number | null;
}

/**
 * The nearby search, the public hot path: its own small pool of connections with the session
 * settings that give the nearest-first plan, and a named prepared statement, so that each query is
 * neither planned again nor passed through the ORM.
 */
@Injectable()
export class NearbyRepository implements OnModuleDestroy {
  private readonly logger = new Logger(NearbyRepository.name);
  private readonly pool: Pool;
  private readonly sql: string;

  constructor(config: BookingConfig) {
    this.sql = nearbySql(config);
    this.pool = new Pool({
      connectionString: config.DATABASE_URL,
      max: config.NEARBY_DB_POOL_SIZE,
      application_name: 'fleet-booking-nearby',
      options: NEARBY_SESSION_OPTIONS,
    });
    // An idle connection that breaks (database restart) is replaced on the next query.
    this.pool.on('error', (err) => this.logger.warn(`nearby connection lost: ${err.message}`));
  }

  /** Bookable cars within `radiusM` of a point, nearest first, at most `limit`. */
  async find(lat: number, lon: number, radiusM: number, limit: number): Promise<NearbyRow[]> {
    const { rows } = await this.pool.query<NearbyRow>({
      name: 'fleet-nearby',
      text: this.sql,
      values: [lat, lon, radiusM, limit],
    });
    return rows;
  }

  async onModuleDestroy(): Promise<void> {
    await this.pool.end();
  }
}
