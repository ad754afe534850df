/** A counter's state after a hit: hits in the current window, and milliseconds until the window ends. */
export interface WindowCount {
  count: number;
  resetMs: number;
}

/** How attempts on one subject (an account) are locked out: see CounterStore.attempt. */
export interface LockoutRule {
  /** How long attempts are counted from the first one, in ms (longer while locked). */
  windowMs: number;
  /** Attempts in the window that lock nothing. */
  free: number;
  /** The lock after the 1st, 2nd, ... attempt beyond the free ones, in ms; the last one for any later. */
  lockMs: readonly number[];
}

/**
 * Counters with an expiry, for rate limits and login backoff. One store is shared by every process and
 * instance that uses the same Redis (RedisCounterStore); without Redis each process has its own
 * (MemoryCounterStore). Keys are the callers'; a Redis store puts REDIS_KEY_PREFIX before them.
 * A Redis store that does not answer fails open: nothing counted, nothing refused.
 */
export abstract class CounterStore {
  /** Counts a hit on `key` in a fixed window of `windowMs` that starts with the window's first hit. */
  abstract hit(key: string, windowMs: number): Promise<WindowCount>;

  /**
   * One attempt on `key` under `rule`, as one atomic step, so attempts racing from many processes are
   * judged as if they came one by one: while `lockKey` lives the attempt is refused and not counted
   * (the answer: the lock's ms left); otherwise it is counted (answer 0), and the n-th beyond the free
   * ones locks for `rule.lockMs[n - 1]`, keeping the count a window beyond the lock.
   */
  abstract attempt(key: string, lockKey: string, rule: LockoutRule): Promise<number>;

  abstract delete(...keys: string[]): Promise<void>;
}
