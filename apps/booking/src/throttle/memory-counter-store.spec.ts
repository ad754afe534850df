import { LockoutRule } from './counter-store';
import { MemoryCounterStore } from './memory-counter-store';

/** A store on a clock the test moves. */
function storeAt(startMs = 1_000_000) {
  const clock = { ms: startMs };
  return { clock, store: new MemoryCounterStore(() => clock.ms) };
}

const RULE: LockoutRule = { windowMs: 60_000, free: 2, lockMs: [1000, 2000, 4000] };

describe('MemoryCounterStore', () => {
  it('counts hits in a fixed window that starts with the first hit', async () => {
    const { clock, store } = storeAt();
    expect(await store.hit('a', 60_000)).toEqual({ count: 1, resetMs: 60_000 });
    clock.ms += 59_000;
    expect(await store.hit('a', 60_000)).toEqual({ count: 2, resetMs: 1000 });
    clock.ms += 1000;
    expect(await store.hit('a', 60_000)).toEqual({ count: 1, resetMs: 60_000 });
  });

  it('keeps keys apart', async () => {
    const { store } = storeAt();
    await store.hit('a', 60_000);
    expect((await store.hit('b', 60_000)).count).toBe(1);
  });

  it('lets the free attempts through, then locks for the rule lock after each further attempt', async () => {
    const { clock, store } = storeAt();
    expect(await store.attempt('n', 'l', RULE)).toBe(0);
    expect(await store.attempt('n', 'l', RULE)).toBe(0);
    expect(await store.attempt('n', 'l', RULE)).toBe(0); // the first beyond: let through, locks 1 s
    expect(await store.attempt('n', 'l', RULE)).toBe(1000);
    clock.ms += 400;
    expect(await store.attempt('n', 'l', RULE)).toBe(600); // refused attempts count nothing
    clock.ms += 600;
    expect(await store.attempt('n', 'l', RULE)).toBe(0); // the second beyond: locks 2 s
    clock.ms += 1999;
    expect(await store.attempt('n', 'l', RULE)).toBe(1);
  });

  it('locks with the last lock of the rule for every attempt past its list', async () => {
    const { clock, store } = storeAt();
    const locks: number[] = [];
    for (let i = 0; i < 7; i++) {
      expect(await store.attempt('n', 'l', RULE)).toBe(0);
      locks.push(await store.attempt('n', 'l', RULE));
      clock.ms += Math.max(locks[i], 1);
    }
    // The 2nd attempt is still free; then each let-through attempt locks 1, 2, 4, 4, ... s.
    expect(locks).toEqual([0, 1000, 2000, 4000, 4000, 4000, 4000]);
  });

  it('remembers the count a window beyond the lock, so waiting out a lock earns no free attempts', async () => {
    const { clock, store } = storeAt();
    for (let i = 0; i < 3; i++) await store.attempt('n', 'l', RULE); // locks 1 s at t = 0
    clock.ms += 1000 + 59_000; // past the window that began with the first attempt
    expect(await store.attempt('n', 'l', RULE)).toBe(0); // counted as the 4th: locks 2 s
    expect(await store.attempt('n', 'l', RULE)).toBe(2000);
    clock.ms += 2000 + 60_000; // a whole window after the lock: forgotten
    for (let i = 0; i < 3; i++) expect(await store.attempt('n', 'l', RULE)).toBe(0);
    expect(await store.attempt('n', 'l', RULE)).toBe(1000);
  });

  it('forgets deleted keys', async () => {
    const { store } = storeAt();
    for (let i = 0; i < 3; i++) await store.attempt('n', 'l', RULE);
    await store.delete('n', 'l');
    expect(await store.attempt('n', 'l', RULE)).toBe(0);
    expect((await store.hit('n', 60_000)).count).toBe(2);
  });

  it('drops expired counters, so one-off clients do not pile up', async () => {
    const { clock, store } = storeAt();
    for (let i = 0; i < 100; i++) await store.hit(`client-${i}`, 1000);
    expect(store.size).toBe(100);
    clock.ms += 61_000;
    await store.hit('another', 1000);
    expect(store.size).toBe(1);
  });
});
