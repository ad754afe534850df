import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { GatewayConfig } from '../config/gateway.config';
import { TelemetryRepository } from '../database/telemetry.repository';

const HOUR_MS = 3_600_000;

/** Keeps a week of daily history partitions ahead and drops those past the retention, hourly. */
@Injectable()
export class PartitionMaintenance implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(PartitionMaintenance.name);
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly config: GatewayConfig,
    private readonly telemetry: TelemetryRepository,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.run();
    this.timer = setInterval(() => void this.run(), HOUR_MS);
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  async run(): Promise<void> {
    try {
      const made = await this.telemetry.ensurePartitions(7);
      if (made) this.logger.log(`created ${made} telemetry partition(s)`);
      if (this.config.TELEMETRY_RETENTION_DAYS > 0) {
        const dropped = await this.telemetry.dropPartitionsOlderThan(this.config.TELEMETRY_RETENTION_DAYS);
        if (dropped.length)
          this.logger.log(`dropped telemetry partitions past retention: ${dropped.join(', ')}`);
      }
    } catch (err) {
      this.logger.warn(`partition maintenance failed: ${(err as Error).message}`);
    }
  }
}
