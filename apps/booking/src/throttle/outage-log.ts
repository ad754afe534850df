import type { LoggerService } from '@nestjs/common';

/** Least time between two warnings about the same outage, in ms. */
export const OUTAGE_WARN_EVERY_MS = 10_000;

/**
 * Says that the shared counter store is away, at most once per OUTAGE_WARN_EVERY_MS however many
 * requests notice it (every request does while it is down), and once that it is back.
 */
export class OutageLog {
  private lastWarnMs = -Infinity;
  private down = false;

  /** `now`: the clock, in epoch ms. */
  constructor(
    private readonly logger: Pick<LoggerService, 'warn' | 'log'>,
    private readonly now: () => number = Date.now,
  ) {}

  failed(err: unknown): void {
    this.down = true;
    const now = this.now();
    if (now - this.lastWarnMs < OUTAGE_WARN_EVERY_MS) return;
    this.lastWarnMs = now;
    const reason = err instanceof Error ? err.message : String(err);
    this.logger.warn(
      `Redis does not answer (${reason}): requests are let through without rate limits or login backoff until it does`,
    );
  }

  recovered(): void {
    if (!this.down) return;
    this.down = false;
    this.lastWarnMs = -Infinity;
    this.logger.log('Redis answers again: rate limits and login backoff are enforced');
  }
}
