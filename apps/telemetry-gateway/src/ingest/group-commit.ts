import { Logger } from '@nestjs/common';

export interface GroupCommitOptions<T> {
  /** Commits one batch; throws to have it retried (transient) or split (see `isDataError`). */
  commit: (batch: T[]) => Promise<void>;
  /** Size of an item for `maxBatchWeight` (samples in a message). */
  weight: (item: T) => number;
  maxBatchWeight: number;
  /** True for an error caused by the data (it will fail again): the batch is split to isolate it. */
  isDataError: (err: unknown) => boolean;
  /** Called with a single item the database keeps refusing; must dispose of it (e.g. quarantine). */
  onPoison: (item: T, err: unknown) => Promise<void>;
  onRetry?: (err: unknown, attempt: number) => void;
  /** Commits in flight at once (default 1). More overlap one commit's round trips with the next. */
  concurrency?: number;
}

/**
 * Group commit: items arriving while a commit runs are gathered and committed together in the next
 * one, so batches grow with load and latency stays about one commit. With `concurrency` 1 commits
 * run one at a time in order of arrival; with more, batches taken in order may commit side by side
 * (the committer must not depend on their order). A failed commit is retried with backoff (database down) or, for an error the data
 * causes, split in halves until the offending item is found and handed to `onPoison`.
 */
export class GroupCommit<T> {
  private readonly logger = new Logger(GroupCommit.name);
  private queue: T[] = [];
  private readonly workers = new Set<Promise<void>>();

  constructor(private readonly options: GroupCommitOptions<T>) {}

  get pending(): number {
    return this.queue.length;
  }

  push(item: T): void {
    this.queue.push(item);
    this.kick();
  }

  private kick(): void {
    if (this.workers.size >= (this.options.concurrency ?? 1)) return;
    const worker = (async () => {
      await new Promise<void>((resolve) => setImmediate(resolve));
      await this.run();
    })();
    this.workers.add(worker);
    worker
      .catch((err: Error) => this.logger.error(`group commit worker failed: ${err.message}`))
      .finally(() => {
        this.workers.delete(worker);
        // An item pushed after the loop saw an empty queue but before this point must not be stranded.
        if (this.queue.length > 0) this.kick();
      });
  }

  /** Resolves when everything pushed so far is committed. */
  async drain(): Promise<void> {
    while (this.workers.size > 0) await Promise.all([...this.workers]);
  }

  private async run(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.take();
      await this.commitWithRetry(batch);
    }
  }

  private take(): T[] {
    let weight = 0;
    let n = 0;
    while (n < this.queue.length) {
      weight += this.options.weight(this.queue[n]);
      if (n > 0 && weight > this.options.maxBatchWeight) break;
      n++;
    }
    return this.queue.splice(0, n);
  }

  private async commitWithRetry(batch: T[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.options.commit(batch);
        return;
      } catch (err) {
        if (this.options.isDataError(err)) return this.split(batch, err);
        this.options.onRetry?.(err, attempt);
        await sleep(Math.min(100 * 2 ** Math.min(attempt, 6), 5000));
      }
    }
  }

  private async split(batch: T[], err: unknown): Promise<void> {
    if (batch.length === 1) {
      this.logger.warn(`the database refuses an item: ${(err as Error).message}`);
      for (let attempt = 1; ; attempt++) {
        try {
          return await this.options.onPoison(batch[0], err);
        } catch (poisonErr) {
          this.options.onRetry?.(poisonErr, attempt);
          await sleep(Math.min(100 * 2 ** Math.min(attempt, 6), 5000));
        }
      }
    }
    const half = Math.ceil(batch.length / 2);
    await this.commitWithRetry(batch.slice(0, half));
    await this.commitWithRetry(batch.slice(half));
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** SQLSTATE classes the data causes: 22 (data exception) and 23 (integrity constraint violation). */
export function isPostgresDataError(err: unknown): boolean {
  const e = err as { code?: unknown; driverError?: { code?: unknown } } | null;
  const code = e?.code ?? e?.driverError?.code;
  return typeof code === 'string' && /^(22|23)/.test(code);
}
