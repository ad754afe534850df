import { DynamicModule, Module } from '@nestjs/common';
import { BookingConfig } from '../config/booking.config';
import { BookingRetention } from './booking-retention';
import {
  AuditRetention,
  IdempotencyKeyRetention,
  OneTimeTokenRetention,
  SessionRetention,
} from './retention.jobs';
import { RetentionSettings } from './retention.settings';

/**
 * Deletes what the booking service keeps only for a while (idempotency keys, sessions, one-time
 * links, the audit log when AUDIT_RETENTION_DAYS is set). The DataSource comes from the global
 * DatabaseModule.
 */
@Module({})
export class RetentionModule {
  static register(config: BookingConfig): DynamicModule {
    return {
      module: RetentionModule,
      providers: [
        { provide: RetentionSettings, useValue: RetentionSettings.of(config) },
        IdempotencyKeyRetention,
        SessionRetention,
        OneTimeTokenRetention,
        AuditRetention,
        BookingRetention,
      ],
    };
  }
}
