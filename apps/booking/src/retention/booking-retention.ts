import { RetentionSchedule } from '@fleet/service-kit';
import { BeforeApplicationShutdown, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import {
  AuditRetention,
  IdempotencyKeyRetention,
  OneTimeTokenRetention,
  SessionRetention,
} from './retention.jobs';
import { RetentionSettings } from './retention.settings';

/**
 * The booking service's retention jobs, shortly after start and every RETENTION_INTERVAL_MIN. Every
 * worker and instance runs them; each job's advisory lock lets one of them do the work at a time.
 */
@Injectable()
export class BookingRetention implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly schedule: RetentionSchedule;

  constructor(
    settings: RetentionSettings,
    idempotencyKeys: IdempotencyKeyRetention,
    sessions: SessionRetention,
    oneTimeTokens: OneTimeTokenRetention,
    auditLog: AuditRetention,
  ) {
    this.schedule = new RetentionSchedule([idempotencyKeys, sessions, oneTimeTokens, auditLog], {
      periodMs: settings.intervalMs,
    });
  }

  onApplicationBootstrap(): void {
    this.schedule.start();
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.schedule.stop();
  }
}
