import { brokerUrl, serviceAccount } from '@fleet/config';
import { queryRows, VehicleView } from '@fleet/domain';
import { followStateStream } from '@fleet/messaging';
import { PeriodicTask } from '@fleet/service-kit';
import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { booleanPointInPolygon, multiPolygon, point } from '@turf/turf';
import type { MultiPolygon } from 'geojson';
import type { MqttClient } from 'mqtt';
import { DataSource } from 'typeorm';
import { BookingConfig } from '../config/booking.config';
import { IndexedCar, NearbyCar, NearbyIndex } from './nearby-index';

/** Cars folded into the index between two turns of the event loop during a reload. */
const RELOAD_SLICE = 5_000;
/** How far back each read looks beyond the last one, ms. */
const RESYNC_MARGIN_MS = 10_000;

/**
 * Keeps the in-memory NearbyIndex current: the whole fleet and the business areas from the database
 * at start, what changed in the database every NEARBY_INDEX_RESYNC_MS, every change of the state stream between (telemetry and
 * online from the gateways, bookings from every booking instance), and this instance's own changes
 * at once. The stream is a plain MQTT subscription of every instance (not shared), that never holds
 * up the start: until it is connected, the resync keeps the index current.
 */
@Injectable()
export class NearbyIndexService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(NearbyIndexService.name);
  private readonly index: NearbyIndex;
  private readonly resync: PeriodicTask;
  private stream?: MqttClient;
  private loaded = false;
  private zonesJson: string | null = null;
  /** Database time of the last read. */
  private syncedAt: Date | null = null;

  constructor(
    private readonly dataSource: DataSource,
    private readonly config: BookingConfig,
  ) {
    this.index = new NearbyIndex(
      { minEnergyPct: config.BOOKABLE_MIN_ENERGY_PCT, maxFixAgeS: config.BOOKABLE_MAX_FIX_AGE_S },
      () => false,
    );
    this.resync = new PeriodicTask('nearby index resync', this.logger, () => this.reload());
  }

  /** True once the fleet is loaded (readiness). */
  get ready(): boolean {
    return this.loaded;
  }

  async onApplicationBootstrap(): Promise<void> {
    // Loaded first, then subscribed; once the subscription holds, a delta read takes what changed between.
    await this.reload();
    this.subscribe();
    // Spread, so that the workers of a cluster do not all read at once.
    this.resync.start(this.config.NEARBY_INDEX_RESYNC_MS, { spread: true });
  }

  async onApplicationShutdown(): Promise<void> {
    this.resync.stop();
    await this.stream?.endAsync();
  }

  find(lat: number, lon: number, radiusM: number, limit: number): NearbyCar[] {
    return this.index.query(lat, lon, radiusM, limit, Date.now());
  }

  /** Changes of cars' views (the stream, or this instance's own writes). */
  apply(views: readonly VehicleView[]): void {
    const unknown = views.filter((view) => !this.index.apply(view)).map((view) => view.id);
    // A car the index does not know yet (just registered): read it whole.
    if (unknown.length > 0) void this.add(unknown);
  }

  /**
   * Reads the business areas; when they changed, the index tests cars against them anew (as planar
   * polygons in longitude/latitude, boundary included, as `ST_Covers` on `zones.shape`). Called at
   * each resync, and by this instance's own zone writes (others see those at their next resync).
   */
  async refreshZones(): Promise<void> {
    const rows = await queryRows<{ shape: string }>(
      this.dataSource,
      `SELECT ST_AsGeoJSON(shape) AS shape FROM zones WHERE kind = 'business_area' ORDER BY id`,
    );
    const json = rows.map((r) => r.shape).join('\n');
    if (json === this.zonesJson) return;
    this.zonesJson = json;
    const areas = rows.map((r) => multiPolygon((JSON.parse(r.shape) as MultiPolygon).coordinates));
    this.index.setAreaTest((lat, lon) => {
      const p = point([lon, lat]);
      return areas.some((area) => booleanPointInPolygon(p, area));
    });
  }

  /**
   * Reads what changed in the database since the last read (the whole fleet the first time) and the
   * business areas, and folds it into the index in slices, so that queries keep being answered
   * meanwhile. Only changed rows: a full reload of 100,000 cars every period stalled queries for up
   * to 200 ms (allocation and garbage collection).
   */
  private async reload(): Promise<void> {
    const [{ now }] = await queryRows<{ now: Date }>(this.dataSource, `SELECT now() AS now`);
    // A write whose transaction began before our last read but committed after it has an older
    // updated_at: the margin covers transactions shorter than it.
    const since = this.syncedAt && new Date(this.syncedAt.getTime() - RESYNC_MARGIN_MS);
    const [cars] = await Promise.all([
      since ? this.loadChangedCars(since) : this.loadCars(),
      this.refreshZones(),
    ]);
    for (let i = 0; i < cars.length; i += RELOAD_SLICE) {
      for (const car of cars.slice(i, i + RELOAD_SLICE)) this.index.upsert(car);
      await new Promise((resolve) => setImmediate(resolve));
    }
    // Cars deleted from the fleet leave the index at a full read (a restart).
    if (!since) this.index.retainOnly(new Set(cars.map((c) => c.id)));
    this.syncedAt = now;
    this.loaded = true;
  }

  private async add(vehicleIds: string[]): Promise<void> {
    try {
      for (const car of await this.loadCars(`WHERE v.id = ANY($1)`, [vehicleIds])) this.index.upsert(car);
    } catch (err) {
      this.logger.warn(`cannot load cars ${vehicleIds.join(', ')}: ${(err as Error).message}`);
    }
  }

  /**
   * The cars a `WHERE` clause on `vehicles v` picks (every car without one). A delta read names the
   * changed ids first, from two plain scans of `updated_at`: joining the whole fleet and filtering
   * after cost PostgreSQL 80-150 ms per read at 100,000 cars (the filter spans both tables), and the
   * planner ran it on parallel workers, taking both cores of a small machine at once. No parallel
   * workers here: a background read should leave the other cores to the answers.
   */
  private loadCars(where = '', params: unknown[] = []): Promise<IndexedCar[]> {
    return this.dataSource.transaction(async (db) => {
      await db.query(`SET LOCAL max_parallel_workers_per_gather = 0`);
      return queryRows<IndexedCar>(
        db,
        `SELECT v.id, v.plate, v.model, v.propulsion, v.operational_status AS "operationalStatus",
                ST_Y(s.position::geometry) AS lat, ST_X(s.position::geometry) AS lon, s.state, s.online,
                (extract(epoch FROM s.fix_at) * 1000)::float8 AS "fixAtMs", s.fuel_pct AS "fuelPct",
                s.battery_pct AS "batteryPct", s.range_km AS "rangeKm", s.version::float8 AS version
           FROM vehicles v JOIN vehicle_state s ON s.vehicle_id = v.id
          ${where}`,
        params,
      );
    });
  }

  private loadChangedCars(since: Date): Promise<IndexedCar[]> {
    return this.loadCars(
      `WHERE v.id IN (SELECT vehicle_id FROM vehicle_state WHERE updated_at > $1
                      UNION SELECT id FROM vehicles WHERE updated_at > $1)`,
      [since],
    );
  }

  private subscribe(): void {
    this.stream = followStateStream(
      brokerUrl(this.config),
      'booking-stream',
      serviceAccount(this.config, 'booking'),
      {
        changes: (views) => this.apply(views),
        malformed: (reason) => this.logger.warn(`ignoring a malformed state stream message: ${reason}`),
        error: (err) => this.logger.debug(`state stream: ${err.message}`),
        // What changed before the subscription took hold is in the database.
        subscribed: () => void this.resync.runOnce(),
      },
    );
  }
}
