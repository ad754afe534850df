import { ConfigError, loadConfig } from '@fleet/config';
import { BookingConfig } from '../config/booking.config';
import { RetentionSettings } from './retention.settings';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

describe('booking retention settings', () => {
  it('defaults: idempotency keys 24 h, sessions 30 days, one-time links 7 days, the audit log forever, hourly', () => {
    expect(RetentionSettings.of(loadConfig(BookingConfig, {}))).toEqual(
      new RetentionSettings(24 * HOUR_MS, 30 * DAY_MS, 7 * DAY_MS, 0, 60 * 60_000),
    );
  });

  it('reads each setting in its unit', () => {
    const settings = RetentionSettings.of(
      loadConfig(BookingConfig, {
        IDEMPOTENCY_KEY_RETENTION_H: '48',
        SESSION_RETENTION_DAYS: '0',
        ONE_TIME_TOKEN_RETENTION_DAYS: '1',
        AUDIT_RETENTION_DAYS: '3650',
        RETENTION_INTERVAL_MIN: '15',
      }),
    );
    expect(settings).toEqual(new RetentionSettings(48 * HOUR_MS, 0, DAY_MS, 3650 * DAY_MS, 15 * 60_000));
  });

  it('refuses negative, fractional and zero-interval values, naming each variable', () => {
    let error: unknown;
    try {
      loadConfig(BookingConfig, {
        IDEMPOTENCY_KEY_RETENTION_H: '-1',
        SESSION_RETENTION_DAYS: '1.5',
        AUDIT_RETENTION_DAYS: 'forever',
        RETENTION_INTERVAL_MIN: '0',
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const named = (error as ConfigError).problems.map((p) => p.split('=')[0]).sort();
    expect(named).toEqual([
      'AUDIT_RETENTION_DAYS',
      'IDEMPOTENCY_KEY_RETENTION_H',
      'RETENTION_INTERVAL_MIN',
      'SESSION_RETENTION_DAYS',
    ]);
  });
});
