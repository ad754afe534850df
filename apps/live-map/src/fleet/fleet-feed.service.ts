import { brokerUrl, serviceAccount } from '@fleet/config';
import { readVehicleViewsSince, VehicleView } from '@fleet/domain';
import { followStateStream } from '@fleet/messaging';
import { PeriodicTask } from '@fleet/service-kit';
import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { MqttClient } from 'mqtt';
import { DataSource } from 'typeorm';
import { LiveMapConfig } from '../config/live-map.config';
import { LiveHub } from '../live/live-hub.service';
import { LiveFleet } from './live-fleet';

/** How far back each read looks beyond the last one, ms (transactions still open at that read). */
const RESYNC_MARGIN_MS = 10_000;

/**
 * Keeps the LiveFleet current: the whole fleet from the database at start, then every change of the
 * state stream (telemetry and online from the gateways, bookings from the booking instances), and
 * every LIVE_MAP_RESYNC_MS what changed in the database meanwhile, which heals a change the stream
 * lost (QoS 0, or a broker restart). Each live-map instance follows the stream on its own.
 */
@Injectable()
export class FleetFeed implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(FleetFeed.name);
  private readonly resync: PeriodicTask;
  private stream?: MqttClient;
  private syncedAt: Date | null = null;

  constructor(
    private readonly dataSource: DataSource,
    private readonly config: LiveMapConfig,
    private readonly fleet: LiveFleet,
    private readonly hub: LiveHub,
  ) {
    this.resync = new PeriodicTask('fleet resync', this.logger, () => this.read());
  }

  /** True once the whole fleet was read (readiness). */
  get loaded(): boolean {
    return this.syncedAt !== null;
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.read();
    this.stream = followStateStream(
      brokerUrl(this.config),
      'live-map',
      serviceAccount(this.config, 'liveMap'),
      {
        changes: (views) => this.apply(views),
        malformed: (reason) => this.logger.warn(`ignoring a malformed state stream message: ${reason}`),
        error: (err) => this.logger.debug(`state stream: ${err.message}`),
        // What changed before the subscription took hold is in the database.
        subscribed: () => void this.resync.runOnce(),
      },
    );
    this.resync.start(this.config.LIVE_MAP_RESYNC_MS);
  }

  async onApplicationShutdown(): Promise<void> {
    this.resync.stop();
    await this.stream?.endAsync();
  }

  private apply(views: readonly VehicleView[]): void {
    for (const view of views) {
      const before = this.fleet.apply(view);
      if (before) this.hub.changed(this.fleet.get(view.id)!, before);
    }
  }

  private async read(): Promise<void> {
    const since = this.syncedAt && new Date(this.syncedAt.getTime() - RESYNC_MARGIN_MS);
    const { views, readAt } = await readVehicleViewsSince(this.dataSource, since);
    this.apply(views);
    this.syncedAt = readAt;
  }
}
