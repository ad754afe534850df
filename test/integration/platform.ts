import { freePort, ServiceProcess, startService } from '@fleet/testing';
import { randomBytes } from 'node:crypto';

/** The operator the end-to-end tests log in as (booking creates it at start). */
export const TEST_OPERATOR = { email: 'ops@fleet.test', password: 'ops-password' };

/** Where the services of a test find PostgreSQL and the broker. */
export interface TestInfra {
  DATABASE_URL: string;
  MQTT_URL: string;
}

/** A telemetry gateway of a test's own (a fresh instance id, so no broker session is shared). */
export async function startGateway(
  infra: TestInfra,
  env: Record<string, string> = {},
): Promise<ServiceProcess> {
  return startService('telemetry-gateway', await freePort(), {
    ...infra,
    GATEWAY_INSTANCE_ID: `t${randomBytes(4).toString('hex')}`,
    ...env,
  });
}

/** Where tests' booking services count their limits: the machine's Redis (scripts/setup.sh starts it). */
export const TEST_REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * This test file's own Redis keys (Jest loads this module once per file): bookings of one file share
 * their counters, as instances in production do; other files' and other runs' stay apart.
 */
export const TEST_REDIS_KEY_PREFIX = `fleet-test:${randomBytes(6).toString('hex')}:`;

/**
 * A booking service for tests: the test operator, cheap password hashing (the KDF's cost is not under
 * test), limits per address lifted (every test client calls from 127.0.0.1) and per account too (a
 * test's few failed logins never lock one), counted in Redis under the file's prefix.
 */
export async function startBooking(
  infra: TestInfra,
  env: Record<string, string> = {},
): Promise<ServiceProcess> {
  return startService('booking', await freePort(), {
    ...infra,
    FLEET_OPERATOR_EMAIL: TEST_OPERATOR.email,
    FLEET_OPERATOR_PASSWORD: TEST_OPERATOR.password,
    PASSWORD_ARGON2_MEMORY_KIB: '1024',
    PASSWORD_ARGON2_TIME_COST: '1',
    THROTTLE_AUTH_PER_MIN: '1000',
    THROTTLE_WRITES_PER_MIN: '3000',
    THROTTLE_NEARBY_PER_MIN: '100000',
    LOGIN_FREE_FAILURES: '1000',
    REDIS_URL: TEST_REDIS_URL,
    REDIS_KEY_PREFIX: TEST_REDIS_KEY_PREFIX,
    ...env,
  });
}
