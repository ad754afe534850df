import { CommandGuard } from './command-guard';

const NOW = Date.parse('2026-11-21T12:00:00Z');
const valid = (counter: number) => ({ counter, expiresAt: '2026-11-21T12:00:30Z' });

describe('CommandGuard (the reference car)', () => {
  it('carries out commands whose counter rises, gaps allowed', () => {
    const guard = new CommandGuard();
    expect([1, 2, 5, 9].map((n) => guard.judge(valid(n), NOW))).toEqual([null, null, null, null]);
    expect(guard.highestCounter).toBe(9);
  });

  it('refuses a command it has taken before as a replay', () => {
    const guard = new CommandGuard();
    guard.judge(valid(1), NOW);
    guard.judge(valid(2), NOW);
    expect(guard.judge(valid(2), NOW)).toBe('replayed');
    expect(guard.judge(valid(1), NOW)).toBe('replayed');
  });

  it('refuses an older command it never saw as out of order', () => {
    const guard = new CommandGuard();
    guard.judge(valid(7), NOW);
    expect(guard.judge(valid(6), NOW)).toBe('out of order');
  });

  it('refuses an expired command, and a later replay of it is still a replay', () => {
    const guard = new CommandGuard();
    expect(guard.judge({ counter: 3, expiresAt: '2026-11-21T11:59:59Z' }, NOW)).toBe('expired');
    expect(guard.judge(valid(3), NOW)).toBe('replayed');
    expect(guard.judge(valid(4), NOW)).toBeNull();
  });

  it('refuses commands without a usable counter', () => {
    const guard = new CommandGuard();
    for (const counter of [0, -1, 1.5, NaN, undefined as unknown as number]) {
      expect(guard.judge({ counter, expiresAt: '2026-11-21T12:00:30Z' }, NOW)).toBe('invalid counter');
    }
  });

  it('keeps its highest counter across a restart', () => {
    const restarted = new CommandGuard(41);
    expect(restarted.judge(valid(41), NOW)).toBe('out of order');
    expect(restarted.judge(valid(42), NOW)).toBeNull();
  });
});
