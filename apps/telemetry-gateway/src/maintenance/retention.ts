import { RetentionJob } from '@fleet/domain';
import { RetentionSchedule } from '@fleet/service-kit';
import { BeforeApplicationShutdown, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { GatewayConfig } from '../config/gateway.config';

const DAY_MS = 86_400_000;

// Nothing references these tables (no foreign keys point at them, no code reads an old row back),
// so a row past its time can go as soon as nothing still waits on it. Telemetry history is not
// among them: it goes a whole daily partition at a time (PartitionMaintenance).

/** Quarantined messages, QUARANTINE_RETENTION_DAYS after they were received. */
export class QuarantineRetention extends RetentionJob {
  constructor(dataSource: DataSource, config: Pick<GatewayConfig, 'QUARANTINE_RETENTION_DAYS'>) {
    super(
      dataSource,
      { table: 'telemetry_quarantine', expired: 'received_at < $1', oldestFirst: 'received_at' },
      config.QUARANTINE_RETENTION_DAYS * DAY_MS,
    );
  }
}

/** MDS vehicle events, EVENTS_RETENTION_DAYS after they occurred. */
export class EventsRetention extends RetentionJob {
  constructor(dataSource: DataSource, config: Pick<GatewayConfig, 'EVENTS_RETENTION_DAYS'>) {
    super(
      dataSource,
      { table: 'vehicle_events', expired: 'occurred_at < $1', oldestFirst: 'occurred_at' },
      config.EVENTS_RETENTION_DAYS * DAY_MS,
    );
  }
}

/**
 * Commands, COMMANDS_RETENTION_DAYS after they were issued, once finished: a command still queued
 * or sent is waiting for its car's result or its expiry, however old it is. The car's next counter
 * lives on the vehicle, so deleting old commands never lets a counter be handed out twice.
 */
export class CommandsRetention extends RetentionJob {
  constructor(dataSource: DataSource, config: Pick<GatewayConfig, 'COMMANDS_RETENTION_DAYS'>) {
    super(
      dataSource,
      {
        table: 'vehicle_commands',
        expired: `issued_at < $1 AND status NOT IN ('queued', 'sent')`,
        oldestFirst: 'issued_at',
      },
      config.COMMANDS_RETENTION_DAYS * DAY_MS,
    );
  }
}

/** The gateway's retention jobs, shortly after start and every RETENTION_INTERVAL_MIN. */
@Injectable()
export class GatewayRetention implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly schedule: RetentionSchedule;

  constructor(config: GatewayConfig, dataSource: DataSource) {
    this.schedule = new RetentionSchedule(
      [
        new QuarantineRetention(dataSource, config),
        new EventsRetention(dataSource, config),
        new CommandsRetention(dataSource, config),
      ],
      { periodMs: config.RETENTION_INTERVAL_MIN * 60_000 },
    );
  }

  onApplicationBootstrap(): void {
    this.schedule.start();
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.schedule.stop();
  }
}
