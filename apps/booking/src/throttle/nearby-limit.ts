import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { BookingConfig } from '../config/booking.config';
import { ClientAddresses } from './client-address';
import { CounterStore } from './counter-store';
import { LIMIT_WINDOW_MS } from './rate-limits';

/**
 * Nearby searches per client address and minute (THROTTLE_NEARBY_PER_MIN), counted by the fast path
 * that answers them ahead of Express. One store round trip per search: an EVALSHA to Redis, or a Map
 * lookup without it.
 */
@Injectable()
export class NearbyLimit {
  private readonly perMin: number;

  constructor(
    private readonly store: CounterStore,
    private readonly clients: ClientAddresses,
    config: BookingConfig,
  ) {
    this.perMin = config.THROTTLE_NEARBY_PER_MIN;
  }

  /** Whether searches are limited at all (THROTTLE_NEARBY_PER_MIN 0: not). */
  get enabled(): boolean {
    return this.perMin > 0;
  }

  /** Counts the request; the seconds its client must wait when it is over the limit, else 0. */
  async retryAfterS(req: IncomingMessage): Promise<number> {
    const address = createHash('sha256').update(this.clients.trackerOf(req)).digest('base64url');
    const { count, resetMs } = await this.store.hit(`limit:nearby:${address}`, LIMIT_WINDOW_MS);
    return count > this.perMin ? Math.max(1, Math.ceil(resetMs / 1000)) : 0;
  }
}
