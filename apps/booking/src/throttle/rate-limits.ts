import { ExecutionContext, Injectable, Logger } from '@nestjs/common';
import {
  ThrottlerGuard,
  ThrottlerLimitDetail,
  ThrottlerModuleOptions,
  ThrottlerStorage,
} from '@nestjs/throttler';
import type { IncomingMessage } from 'node:http';
import { ApiError } from '../common/api-error';
import type { BookingConfig } from '../config/booking.config';
import { ClientAddresses } from './client-address';
import { CounterStore } from './counter-store';

/** What ThrottlerStorage.increment answers (the package does not export its name). */
type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/** The window of every per-address limit, in ms. */
export const LIMIT_WINDOW_MS = 60_000;

/**
 * @nestjs/throttler's counters in the CounterStore (Redis when REDIS_URL is set), so its named
 * throttlers count across processes and instances. A fixed window per key: a client over the limit
 * waits for its window to end (none of our throttlers sets a longer blockDuration).
 */
export class CounterThrottlerStorage implements ThrottlerStorage {
  constructor(private readonly store: CounterStore) {}

  async increment(
    key: string,
    ttlMs: number,
    limit: number,
    _blockDurationMs: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    // `key` is already a hash of route, throttler and client address: no address in clear in Redis.
    const { count, resetMs } = await this.store.hit(`limit:${throttlerName}:${key}`, ttlMs);
    const timeToExpire = Math.max(1, Math.ceil(resetMs / 1000));
    const isBlocked = count > limit;
    return { totalHits: count, timeToExpire, isBlocked, timeToBlockExpire: isBlocked ? timeToExpire : 0 };
  }
}

/** The named throttlers, per client address and route: `auth` (/auth) and `writes` (booking writes). */
export function throttlerOptions(
  config: BookingConfig,
  store: CounterStore,
  clients: ClientAddresses,
): ThrottlerModuleOptions {
  return {
    throttlers: [
      { name: 'auth', ttl: LIMIT_WINDOW_MS, limit: config.THROTTLE_AUTH_PER_MIN },
      { name: 'writes', ttl: LIMIT_WINDOW_MS, limit: config.THROTTLE_WRITES_PER_MIN },
    ],
    storage: new CounterThrottlerStorage(store),
    getTracker: (req) => clients.trackerOf(req as IncomingMessage),
  };
}

/**
 * ThrottlerGuard answering a refused request as the API does: 429 TOO_MANY_REQUESTS with the standard
 * Retry-After (the ErrorFilter writes it), besides the throttler's own Retry-After-<name>.
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  private readonly log = new Logger(RateLimitGuard.name);

  protected override async throwThrottlingException(
    _context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    const retryAfterS = detail.timeToBlockExpire;
    this.log.debug(
      `refused: ${detail.totalHits} requests of ${detail.limit} per window, ${retryAfterS} s left`,
    );
    throw new ApiError(
      429,
      'TOO_MANY_REQUESTS',
      `too many requests; try again in ${retryAfterS} s`,
      {},
      retryAfterS,
    );
  }
}
