import { BookingConfig } from '../../apps/booking/src/config/booking.config';
import { LockoutRule } from '../../apps/booking/src/throttle/counter-store';
import { LoginBackoff } from '../../apps/booking/src/throttle/login-backoff';
import { RedisCounterStore } from '../../apps/booking/src/throttle/redis-counter-store';
import { freePort } from '@fleet/testing';
import { Logger } from '@nestjs/common';
import Redis from 'ioredis';
import { TEST_REDIS_KEY_PREFIX, TEST_REDIS_URL } from './platform';

/** The Redis counter store against the machine's Redis: its scripts, shared by two connections. */
describe('RedisCounterStore', () => {
  const stores: RedisCounterStore[] = [];
  let redis: Redis;

  /** A store of its own connection, as each booking process has. */
  async function store(url = TEST_REDIS_URL): Promise<RedisCounterStore> {
    const s = new RedisCounterStore(url, TEST_REDIS_KEY_PREFIX);
    stores.push(s);
    await s.onModuleInit();
    return s;
  }

  beforeAll(() => {
    redis = new Redis(TEST_REDIS_URL);
  });

  afterAll(async () => {
    await Promise.all(stores.map((s) => s.onApplicationShutdown()));
    const keys = await redis.keys(`${TEST_REDIS_KEY_PREFIX}*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  });

  it('counts hits from two connections in one fixed window that expires in Redis', async () => {
    const [a, b] = [await store(), await store()];
    const counts = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).hit('hits', 5000)));
    expect(counts.map((c) => c.count).sort((x, y) => x - y)).toEqual(
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
    for (const c of counts) expect(c.resetMs).toBeLessThanOrEqual(5000);
    const ttl = await redis.pttl(`${TEST_REDIS_KEY_PREFIX}hits`);
    expect(ttl).toBeGreaterThan(3000);
    expect(ttl).toBeLessThanOrEqual(5000);
  });

  it('locks out attempts from two connections as one, and keeps the count a window past the lock', async () => {
    const [a, b] = [await store(), await store()];
    const rule: LockoutRule = { windowMs: 10_000, free: 3, lockMs: [2000, 4000] };
    const outcomes = await Promise.all(
      Array.from({ length: 12 }, (_, i) => (i % 2 ? a : b).attempt('n', 'lock', rule)),
    );
    expect(outcomes.filter((ms) => ms === 0)).toHaveLength(4); // 3 free + the one that locks
    for (const ms of outcomes.filter((ms) => ms > 0)) expect(ms).toBeLessThanOrEqual(2000);
    expect(await redis.get(`${TEST_REDIS_KEY_PREFIX}n`)).toBe('4'); // refused ones are not counted
    const countTtl = await redis.pttl(`${TEST_REDIS_KEY_PREFIX}n`);
    expect(countTtl).toBeGreaterThan(10_000);
    expect(countTtl).toBeLessThanOrEqual(12_000);
    await a.delete('n', 'lock');
    expect(await b.attempt('n', 'lock', rule)).toBe(0);
  });

  it('keeps no email in clear: login keys are hashes', async () => {
    const backoff = new LoginBackoff(await store(), new BookingConfig());
    await backoff.assertAllowed('Someone.Secret@Example.com');
    const keys = await redis.keys(`${TEST_REDIS_KEY_PREFIX}login:*`);
    expect(keys).toHaveLength(1);
    expect(keys[0].toLowerCase()).not.toContain('secret');
    await backoff.recordSuccess('someone.secret@example.com');
    expect(await redis.keys(`${TEST_REDIS_KEY_PREFIX}login:*`)).toEqual([]);
  });

  it('fails open at once when Redis does not answer, with one warning', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      const down = await store(`redis://127.0.0.1:${await freePort()}`);
      const started = Date.now();
      expect(await down.hit('x', 60_000)).toEqual({ count: 0, resetMs: 60_000 });
      expect(await down.attempt('x', 'y', { windowMs: 1000, free: 0, lockMs: [1000] })).toBe(0);
      await down.delete('x');
      expect(Date.now() - started).toBeLessThan(100);
      expect(warn.mock.calls.filter(([m]) => String(m).includes('Redis does not answer'))).toHaveLength(1);
    } finally {
      warn.mockRestore();
    }
  });
});
