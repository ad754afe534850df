import { Logger } from '@nestjs/common';
import { RetentionSchedule, RetentionTask } from './retention-schedule';

/** A job with a fixed outcome, recording the times it was run at. */
function job(table: string, outcome: number | null | Error): RetentionTask & { runs: Date[] } {
  const runs: Date[] = [];
  return {
    table,
    runs,
    run: (now) => {
      runs.push(now);
      return outcome instanceof Error ? Promise.reject(outcome) : Promise.resolve(outcome);
    },
  };
}

describe('RetentionSchedule', () => {
  let logged: string[];
  let warned: string[];
  beforeEach(() => {
    logged = [];
    warned = [];
    jest.spyOn(Logger.prototype, 'log').mockImplementation((message: string) => void logged.push(message));
    jest.spyOn(Logger.prototype, 'warn').mockImplementation((message: string) => void warned.push(message));
  });
  afterEach(() => jest.restoreAllMocks());

  const now = new Date('2025-06-01T03:00:00Z');

  it('runs every job at the same time and logs one line with the count of each table that lost rows', async () => {
    const jobs = [job('telemetry_quarantine', 120), job('vehicle_events', 0), job('vehicle_commands', 8)];
    const deleted = await new RetentionSchedule(jobs, { periodMs: 60_000 }).run(now);
    expect(deleted).toEqual({ telemetry_quarantine: 120, vehicle_commands: 8 });
    expect(jobs.map((j) => j.runs)).toEqual([[now], [now], [now]]);
    expect(logged).toEqual(['deleted rows past retention: telemetry_quarantine 120, vehicle_commands 8']);
  });

  it('logs nothing when nothing was deleted or another process did the work', async () => {
    const jobs = [job('sessions', 0), job('audit_log', null)];
    expect(await new RetentionSchedule(jobs, { periodMs: 60_000 }).run(now)).toEqual({});
    expect(logged).toEqual([]);
  });

  it('a failing job leaves the others to their turn', async () => {
    const jobs = [
      job('sessions', new Error('canceling statement due to lock timeout')),
      job('idempotency_keys', 3),
    ];
    expect(await new RetentionSchedule(jobs, { periodMs: 60_000 }).run(now)).toEqual({ idempotency_keys: 3 });
    expect(warned).toEqual(['retention of sessions failed: canceling statement due to lock timeout']);
    expect(logged).toEqual(['deleted rows past retention: idempotency_keys 3']);
  });

  it('sweeps shortly after start, then every period, and not after stop', async () => {
    jest.useFakeTimers();
    jest.spyOn(Math, 'random').mockReturnValue(0.5);
    try {
      const quarantine = job('telemetry_quarantine', 0);
      const schedule = new RetentionSchedule([quarantine], {
        periodMs: 3_600_000,
        firstSweepAfterMs: 30_000,
      });
      schedule.start();
      await jest.advanceTimersByTimeAsync(29_000);
      expect(quarantine.runs).toHaveLength(0);
      await jest.advanceTimersByTimeAsync(1_000);
      expect(quarantine.runs).toHaveLength(1);
      // Spread: the first periodic sweep half a period in (Math.random() = 0.5), then every period.
      await jest.advanceTimersByTimeAsync(1_800_000);
      expect(quarantine.runs).toHaveLength(2);
      await jest.advanceTimersByTimeAsync(3_600_000);
      expect(quarantine.runs).toHaveLength(3);
      await schedule.stop();
      await jest.advanceTimersByTimeAsync(10 * 3_600_000);
      expect(quarantine.runs).toHaveLength(3);
    } finally {
      jest.useRealTimers();
    }
  });

  it('stop waits for the sweep under way and tells its job to stop after the current batch', async () => {
    let finish!: () => void;
    let signalSeen: AbortSignal | undefined;
    const slow: RetentionTask = {
      table: 'vehicle_events',
      run: (_now, signal) => {
        signalSeen = signal;
        return new Promise((resolve) => (finish = () => resolve(5_000)));
      },
    };
    const after = job('vehicle_commands', 1);
    const schedule = new RetentionSchedule([slow, after], { periodMs: 3_600_000, firstSweepAfterMs: 0 });
    schedule.start();
    await new Promise((resolve) => setTimeout(resolve, 10));
    let stopped = false;
    const stopping = schedule.stop().then(() => (stopped = true));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(stopped).toBe(false);
    expect(signalSeen?.aborted).toBe(true);
    finish();
    await stopping;
    expect(after.runs).toHaveLength(0);
    expect(logged).toEqual(['deleted rows past retention: vehicle_events 5000']);
  });
});
