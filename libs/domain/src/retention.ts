import { DataSource, EntityManager } from 'typeorm';
import { queryRows } from './query-rows';

/**
 * Rows one retention statement deletes at most: each batch holds its row locks and writes its WAL
 * only briefly, so a first run on a big table never becomes one long transaction.
 */
export const RETENTION_BATCH_ROWS = 5_000;

/** Which rows of one table are past keeping. */
export interface RetentionRule {
  /** A plain table, not a partitioned one: batches address rows by ctid, unique within one heap only. */
  table: string;
  /**
   * SQL condition, true for a row past keeping; `$1` is the cut-off (timestamptz). A row that
   * something still needs must fail it.
   */
  expired: string;
  /**
   * An indexed SQL expression ordering the rows oldest first. Each batch then finds its rows
   * through the index, skipping the entries earlier batches deleted, instead of scanning the table
   * again over every page they emptied.
   */
  oldestFirst: string;
  /**
   * Statements each batch's transaction runs before its delete (a `SET LOCAL` a trigger checks);
   * without them each batch is a statement of its own.
   */
  setup?: string[];
}

export interface DeleteOptions {
  batchRows?: number;
  /** Checked between batches: an aborted signal ends the loop after the batch under way. */
  signal?: AbortSignal;
}

/**
 * Deletes the rule's rows past `cutoff`, a batch of at most `batchRows` a statement (or a
 * transaction, with `setup`), until a batch comes up short; resolves the number of rows deleted.
 */
export async function deleteExpiredRows(
  db: DataSource | EntityManager,
  rule: RetentionRule,
  cutoff: Date,
  { batchRows = RETENTION_BATCH_ROWS, signal }: DeleteOptions = {},
): Promise<number> {
  // `ctid = ANY (ARRAY (...))` is a TID scan of the batch's rows; `ctid IN (...)` may be planned as
  // a join over the whole table. A row updated after the batch was picked has a new ctid and is
  // left alone, so a row can never be deleted on the strength of a version it no longer is.
  const sql = `
    WITH deleted AS (
      DELETE FROM ${rule.table}
       WHERE ctid = ANY (ARRAY (
               SELECT ctid FROM ${rule.table} WHERE ${rule.expired} ORDER BY ${rule.oldestFirst} LIMIT $2))
      RETURNING 1)
    SELECT count(*)::int AS n FROM deleted`;
  const batch = async (m: DataSource | EntityManager): Promise<number> => {
    const [{ n }] = await queryRows<{ n: number }>(m, sql, [cutoff, batchRows]);
    return n;
  };
  const { setup } = rule;
  let total = 0;
  for (;;) {
    const n = setup?.length
      ? await db.transaction(async (tx) => {
          for (const statement of setup) await tx.query(statement);
          return batch(tx);
        })
      : await batch(db);
    total += n;
    if (n < batchRows || signal?.aborted) return total;
  }
}

/**
 * Runs `work` on one connection while it holds the session-level advisory lock named `key`;
 * resolves null at once, without running it, when another session holds that lock.
 */
export async function withAdvisoryLock<T>(
  dataSource: DataSource,
  key: string,
  work: (db: EntityManager) => Promise<T>,
): Promise<T | null> {
  const runner = dataSource.createQueryRunner();
  try {
    const [{ locked }] = await queryRows<{ locked: boolean }>(
      runner.manager,
      `SELECT pg_try_advisory_lock(hashtext($1)) AS locked`,
      [key],
    );
    if (!locked) return null;
    try {
      return await work(runner.manager);
    } finally {
      await runner.query(`SELECT pg_advisory_unlock(hashtext($1))`, [key]);
    }
  } finally {
    // A connection that broke takes its session's lock with it.
    await runner.release();
  }
}

/**
 * Enforces one retention rule: rows are kept `keepMs` past the time the rule looks at (0 keeps
 * them forever). Several processes may run the same job: one at a time does the work, under an
 * advisory lock named after the table, and the others skip it.
 */
export class RetentionJob {
  readonly lockKey: string;

  constructor(
    private readonly dataSource: DataSource,
    readonly rule: RetentionRule,
    readonly keepMs: number,
  ) {
    this.lockKey = `fleet:retention:${rule.table}`;
  }

  get table(): string {
    return this.rule.table;
  }

  /**
   * Deletes the rows past keeping at `now` and resolves how many; null when another process holds
   * the job's lock (it is doing the work).
   */
  async run(now: Date, signal?: AbortSignal): Promise<number | null> {
    if (this.keepMs <= 0) return 0;
    const cutoff = new Date(now.getTime() - this.keepMs);
    return withAdvisoryLock(this.dataSource, this.lockKey, (db) =>
      deleteExpiredRows(db, this.rule, cutoff, { signal }),
    );
  }
}
