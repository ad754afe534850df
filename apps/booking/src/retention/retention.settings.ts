import { BookingConfig } from '../config/booking.config';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** How long the booking service keeps each kind of row, in ms (0 = forever), from its config. */
export class RetentionSettings {
  constructor(
    readonly idempotencyKeysMs: number,
    readonly sessionsMs: number,
    readonly oneTimeTokensMs: number,
    readonly auditLogMs: number,
    /** Time between two sweeps of the jobs. */
    readonly intervalMs: number,
  ) {}

  static of(config: BookingConfig): RetentionSettings {
    return new RetentionSettings(
      config.IDEMPOTENCY_KEY_RETENTION_H * HOUR_MS,
      config.SESSION_RETENTION_DAYS * DAY_MS,
      config.ONE_TIME_TOKEN_RETENTION_DAYS * DAY_MS,
      config.AUDIT_RETENTION_DAYS * DAY_MS,
      config.RETENTION_INTERVAL_MIN * 60_000,
    );
  }
}
