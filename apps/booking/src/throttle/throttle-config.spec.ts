import { ConfigError, loadConfig } from '@fleet/config';
import { BookingConfig, startProblems } from '../config/booking.config';

const PRODUCTION = {
  PRODUCTION: 'true',
  JWT_SECRET: 'a-production-secret-of-32-characters-or-more',
  FLEET_OPERATOR_PASSWORD: 'a-real-password',
  MQTT_BOOKING_PASSWORD: 'a-real-broker-password',
};

describe('booking config: rate limits', () => {
  it('counts in this process, trusts no proxy and limits nearby searches by default', () => {
    expect(loadConfig(BookingConfig, {})).toMatchObject({
      REDIS_URL: '',
      REDIS_KEY_PREFIX: 'fleet:',
      TRUST_PROXY: 'false',
      THROTTLE_NEARBY_PER_MIN: 1200,
      LOGIN_FREE_FAILURES: 5,
      LOGIN_FAILURE_WINDOW_S: 900,
      LOGIN_BACKOFF_MAX_S: 900,
    });
  });

  it.each([
    ['REDIS_URL', 'http://127.0.0.1:6379'],
    ['REDIS_KEY_PREFIX', 'fleet {a}:'],
    ['TRUST_PROXY', 'true'],
    ['THROTTLE_NEARBY_PER_MIN', '-1'],
    ['LOGIN_BACKOFF_MAX_S', '0'],
  ])('refuses %s=%j at start', (key, value) => {
    expect(() => loadConfig(BookingConfig, { [key]: value })).toThrow(ConfigError);
  });

  it('refuses production with several workers and no Redis, as they would count apart', () => {
    const workers = loadConfig(BookingConfig, { ...PRODUCTION, BOOKING_WORKERS: '2' });
    expect(startProblems(workers)).toContainEqual(expect.stringMatching(/^REDIS_URL must be set/));
    const shared = loadConfig(BookingConfig, {
      ...PRODUCTION,
      BOOKING_WORKERS: '2',
      REDIS_URL: 'redis://redis:6379',
    });
    expect(startProblems(shared)).not.toContainEqual(expect.stringMatching(/REDIS_URL/));
  });

  it('lets one production process count alone (it warns at start)', () => {
    const alone = loadConfig(BookingConfig, PRODUCTION);
    expect(startProblems(alone)).not.toContainEqual(expect.stringMatching(/REDIS_URL/));
  });
});
