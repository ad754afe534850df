import { Logger } from '@nestjs/common';
import { PeriodicTask } from './periodic-task';

/** A job deleting one table's rows past keeping (`RetentionJob` of @fleet/domain). */
export interface RetentionTask {
  readonly table: string;
  /** Rows deleted; null when another process was doing it. */
  run(now: Date, signal?: AbortSignal): Promise<number | null>;
}

export interface RetentionScheduleOptions {
  /** Time between sweeps, in ms. */
  periodMs: number;
  /** Delay of the first sweep after start, in ms: long enough not to slow the start itself. */
  firstSweepAfterMs?: number;
}

/**
 * Runs a service's retention jobs one after another (one table at a time, so the deletes never
 * compete with each other for the database): a first sweep shortly after start, then every
 * `periodMs`, spread so that processes started together do not sweep at once. A sweep that deleted
 * something logs one line with the count of each table; one that deleted nothing logs nothing.
 */
export class RetentionSchedule {
  private readonly logger = new Logger(RetentionSchedule.name);
  private readonly task = new PeriodicTask('retention', this.logger, () => this.sweep());
  private readonly stopping = new AbortController();
  private firstSweep?: NodeJS.Timeout;
  private sweeping?: Promise<unknown>;

  constructor(
    private readonly jobs: RetentionTask[],
    private readonly options: RetentionScheduleOptions,
  ) {}

  start(): void {
    const { periodMs, firstSweepAfterMs = 30_000 } = this.options;
    this.firstSweep = setTimeout(() => void this.task.runOnce(), firstSweepAfterMs);
    this.task.start(periodMs, { spread: true });
  }

  /** Stops the timers and waits for a sweep under way to finish the batch it is deleting. */
  async stop(): Promise<void> {
    clearTimeout(this.firstSweep);
    this.task.stop();
    this.stopping.abort();
    await this.sweeping;
  }

  /** Runs every job at `now`; the rows each table lost (tables that lost none are left out). */
  async run(now: Date): Promise<Record<string, number>> {
    const deleted: Record<string, number> = {};
    for (const job of this.jobs) {
      if (this.stopping.signal.aborted) break;
      try {
        const n = await job.run(now, this.stopping.signal);
        if (n) deleted[job.table] = n;
      } catch (err) {
        // One table failing (a lock timeout, a broken connection) leaves the others to their turn.
        this.logger.warn(`retention of ${job.table} failed: ${(err as Error).message}`);
      }
    }
    const counts = Object.entries(deleted).map(([table, n]) => `${table} ${n}`);
    if (counts.length) this.logger.log(`deleted rows past retention: ${counts.join(', ')}`);
    return deleted;
  }

  private async sweep(): Promise<void> {
    this.sweeping = this.run(new Date());
    try {
      await this.sweeping;
    } finally {
      this.sweeping = undefined;
    }
  }
}
