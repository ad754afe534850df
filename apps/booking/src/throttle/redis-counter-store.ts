import { Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import Redis from 'ioredis';
import { CounterStore, LockoutRule, WindowCount } from './counter-store';
import { OutageLog } from './outage-log';

/**
 * INCR and the window's expiry in one step, so concurrent hits from any process count once each and a
 * key never outlives its window (PTTL < 0: just created, or somehow left without expiry).
 */
const HIT_LUA = `
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  ttl = tonumber(ARGV[1])
  redis.call('PEXPIRE', KEYS[1], ttl)
end
return {count, ttl}`;

/**
 * CounterStore.attempt in one step. KEYS: count, lock. ARGV: window ms, free attempts, then the lock ms
 * after the 1st, 2nd, ... attempt beyond them (the last for any later): the arithmetic stays in
 * TypeScript (login-backoff.ts), the script only indexes it.
 */
const ATTEMPT_LUA = `
local locked = redis.call('PTTL', KEYS[2])
if locked > 0 then return locked end
local window = tonumber(ARGV[1])
local count = redis.call('INCR', KEYS[1])
if redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], window) end
local beyond = count - tonumber(ARGV[2])
if beyond > 0 then
  local lock = tonumber(ARGV[2 + math.min(beyond, #ARGV - 2)])
  redis.call('SET', KEYS[2], 1, 'PX', lock)
  if redis.call('PTTL', KEYS[1]) < lock + window then redis.call('PEXPIRE', KEYS[1], lock + window) end
end
return 0`;

/**
 * How long a request waits for Redis before it is let through, in ms. Redis answers in well under a
 * millisecond on a local network; this bounds a hung connection, which a reset would not end.
 */
const COMMAND_TIMEOUT_MS = 500;

interface ScriptedRedis extends Redis {
  fleetHit(key: string, windowMs: number): Promise<[number, number]>;
  fleetAttempt(key: string, lockKey: string, ...args: number[]): Promise<number>;
}

/**
 * Counters in Redis, shared by every booking process and instance on the same REDIS_URL and
 * REDIS_KEY_PREFIX. When Redis does not answer, every operation fails open (nothing counted, nothing
 * locked): an outage of the limits' store must not become an outage of logins and bookings. The
 * OutageLog says so at most every 10 s.
 */
export class RedisCounterStore extends CounterStore implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('RateLimits');
  private readonly outage = new OutageLog(this.logger);
  private readonly redis: ScriptedRedis;

  constructor(
    url: string,
    private readonly prefix: string,
  ) {
    super();
    this.redis = new Redis(url, {
      lazyConnect: true,
      // Commands fail at once while disconnected instead of queueing: the request goes on unlimited.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: COMMAND_TIMEOUT_MS,
      connectTimeout: 2000,
    }) as ScriptedRedis;
    this.redis.defineCommand('fleetHit', { numberOfKeys: 1, lua: HIT_LUA });
    this.redis.defineCommand('fleetAttempt', { numberOfKeys: 2, lua: ATTEMPT_LUA });
    this.redis.on('error', (err) => this.outage.failed(err));
    this.redis.on('ready', () => this.outage.recovered());
  }

  /** Connects before the service takes requests; if Redis is away, it starts anyway and keeps trying. */
  async onModuleInit(): Promise<void> {
    await this.redis.connect().catch((err: unknown) => this.outage.failed(err));
  }

  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  async hit(key: string, windowMs: number): Promise<WindowCount> {
    return this.failOpen({ count: 0, resetMs: windowMs }, async () => {
      const [count, resetMs] = await this.redis.fleetHit(this.prefix + key, windowMs);
      return { count, resetMs };
    });
  }

  async attempt(key: string, lockKey: string, rule: LockoutRule): Promise<number> {
    return this.failOpen(0, () =>
      this.redis.fleetAttempt(
        this.prefix + key,
        this.prefix + lockKey,
        rule.windowMs,
        rule.free,
        ...rule.lockMs,
      ),
    );
  }

  async delete(...keys: string[]): Promise<void> {
    if (keys.length) await this.failOpen(0, () => this.redis.del(...keys.map((k) => this.prefix + k)));
  }

  private async failOpen<T>(fallback: T, operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (err) {
      this.outage.failed(err);
      return fallback;
    }
  }
}
