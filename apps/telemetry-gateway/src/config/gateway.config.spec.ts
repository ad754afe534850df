import { ConfigError, loadConfig } from '@fleet/config';
import { GatewayConfig } from './gateway.config';

describe('gateway retention settings', () => {
  it('defaults: quarantine 30 days, events 400, commands 90, telemetry history kept, hourly', () => {
    const config = loadConfig(GatewayConfig, {});
    expect({
      telemetry: config.TELEMETRY_RETENTION_DAYS,
      quarantine: config.QUARANTINE_RETENTION_DAYS,
      events: config.EVENTS_RETENTION_DAYS,
      commands: config.COMMANDS_RETENTION_DAYS,
      intervalMin: config.RETENTION_INTERVAL_MIN,
    }).toEqual({ telemetry: 0, quarantine: 30, events: 400, commands: 90, intervalMin: 60 });
  });

  it('takes 0 as keep forever and refuses negative or fractional days, naming each variable', () => {
    expect(loadConfig(GatewayConfig, { EVENTS_RETENTION_DAYS: '0' }).EVENTS_RETENTION_DAYS).toBe(0);
    let error: unknown;
    try {
      loadConfig(GatewayConfig, {
        QUARANTINE_RETENTION_DAYS: '-30',
        COMMANDS_RETENTION_DAYS: '0.5',
        RETENTION_INTERVAL_MIN: '0',
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems.map((p) => p.split('=')[0]).sort()).toEqual([
      'COMMANDS_RETENTION_DAYS',
      'QUARANTINE_RETENTION_DAYS',
      'RETENTION_INTERVAL_MIN',
    ]);
  });
});
