import { CounterStore, LockoutRule, WindowCount } from './counter-store';

interface Entry {
  count: number;
  expiresAtMs: number;
}

/** How often expired counters are dropped, in ms (on the next use after this long). */
const SWEEP_EVERY_MS = 60_000;

/**
 * Counters in this process's memory: what one process counts, the others do not see. Each method does
 * its work before its first await, so it is atomic within the process as Redis's scripts are.
 */
export class MemoryCounterStore extends CounterStore {
  private readonly entries = new Map<string, Entry>();
  private nextSweepMs: number;

  /** `now`: the clock, in epoch ms (tests pass their own). */
  constructor(private readonly now: () => number = Date.now) {
    super();
    this.nextSweepMs = now() + SWEEP_EVERY_MS;
  }

  /** Counters held, expired ones included until the next sweep. */
  get size(): number {
    return this.entries.size;
  }

  async hit(key: string, windowMs: number): Promise<WindowCount> {
    const now = this.sweep();
    const entry = this.count(key, windowMs, now);
    return { count: entry.count, resetMs: entry.expiresAtMs - now };
  }

  async attempt(key: string, lockKey: string, rule: LockoutRule): Promise<number> {
    const now = this.sweep();
    const lock = this.live(lockKey, now);
    if (lock) return lock.expiresAtMs - now;
    const entry = this.count(key, rule.windowMs, now);
    const beyond = entry.count - rule.free;
    if (beyond > 0) {
      const lockMs = rule.lockMs[Math.min(beyond, rule.lockMs.length) - 1];
      this.entries.set(lockKey, { count: 1, expiresAtMs: now + lockMs });
      entry.expiresAtMs = Math.max(entry.expiresAtMs, now + lockMs + rule.windowMs);
    }
    return 0;
  }

  async delete(...keys: string[]): Promise<void> {
    for (const key of keys) this.entries.delete(key);
  }

  /** Adds one to `key`, starting a window of `windowMs` if none is running. */
  private count(key: string, windowMs: number, now: number): Entry {
    let entry = this.live(key, now);
    if (!entry) {
      entry = { count: 0, expiresAtMs: now + windowMs };
      this.entries.set(key, entry);
    }
    entry.count++;
    return entry;
  }

  private live(key: string, now: number): Entry | undefined {
    const entry = this.entries.get(key);
    return entry && entry.expiresAtMs > now ? entry : undefined;
  }

  /** Drops expired counters once a minute, so one-off clients do not pile up; returns the time. */
  private sweep(): number {
    const now = this.now();
    if (now < this.nextSweepMs) return now;
    this.nextSweepMs = now + SWEEP_EVERY_MS;
    for (const [key, entry] of this.entries) if (entry.expiresAtMs <= now) this.entries.delete(key);
    return now;
  }
}
