/** What every benchmark script shares: parameters, logging, clean-up, machine details, results. */
import type { ServiceProcess } from '@fleet/testing';
import { execSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, resolve } from 'node:path';
import { Client } from 'pg';
import { format as prettierFormat, resolveConfig as prettierConfig } from 'prettier';

export const ROOT = resolve(__dirname, '..');

/** An integer setting from the environment, at least `min`. */
export function intEnv(name: string, fallback: number, min = 1): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min)
    throw new Error(`${name}=${raw}: expected an integer >= ${min}`);
  return value;
}

export function log(message: string): void {
  console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}`);
}

export function round(x: number, digits: number): number {
  return Math.round(x * 10 ** digits) / 10 ** digits;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

/** The q-quantile (0..1) of ascending `sorted` values, nearest rank; null when empty. */
export function quantile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Stops a service: SIGTERM, SIGKILL after 10 s. */
export async function killService(service: ServiceProcess): Promise<void> {
  const code = await Promise.race([service.kill('SIGTERM'), sleep(10_000).then(() => 'timeout' as const)]);
  if (code === 'timeout') await service.kill('SIGKILL');
}

/** Everything a run started, torn down in reverse order, also on error or signal. */
export class Cleanup {
  private tasks: { name: string; run: () => Promise<unknown> }[] = [];
  private chain: Promise<void> = Promise.resolve();

  add(name: string, run: () => Promise<unknown>): void {
    this.tasks.push({ name, run });
  }

  run(): Promise<void> {
    this.chain = this.chain.then(async () => {
      while (this.tasks.length > 0) {
        const task = this.tasks.pop()!;
        try {
          await withTimeout(task.run(), 20_000, `clean-up of ${task.name}`);
        } catch (err) {
          console.error(`[bench] clean-up of ${task.name} failed: ${(err as Error).message}`);
        }
      }
    });
    return this.chain;
  }
}

/** The machine, the versions and the commit a result was measured on. */
export async function machineDetails() {
  const sh = (cmd: string) => {
    try {
      return execSync(cmd, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
    } catch {
      return null;
    }
  };
  const pg = new Client({
    connectionString: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/fleet',
  });
  await pg.connect();
  const { rows } = await pg.query<{ version: string; postgis: string | null; sync: string }>(
    `SELECT version(), current_setting('synchronous_commit') AS sync,
            (SELECT extversion FROM pg_extension WHERE extname = 'postgis') AS postgis`,
  );
  await pg.end();
  const cpus = os.cpus();
  return {
    os: `${os.type()} ${os.release()}`,
    cpuModel: cpus[0]?.model ?? 'unknown',
    cpuCount: cpus.length,
    totalMemoryGiB: round(os.totalmem() / 2 ** 30, 1),
    loadAverageAtStart: os.loadavg().map((x) => round(x, 2)),
    node: process.version,
    postgres: rows[0].version,
    postgis: rows[0].postgis,
    postgresSynchronousCommit: rows[0].sync,
    gitCommit: sh('git rev-parse HEAD'),
    gitDirty: (sh('git status --porcelain') ?? '') !== '',
  };
}

/** Writes a result as JSON in the project's Prettier style (so `prettier --check` stays clean). */
export async function writeResult(file: string, result: object): Promise<void> {
  mkdirSync(dirname(file), { recursive: true });
  const style = (await prettierConfig(file)) ?? {};
  writeFileSync(
    file,
    await prettierFormat(JSON.stringify(result), { ...style, parser: 'json', filepath: file }),
  );
  log(`results written to ${file}`);
}

/** Prints rows as an aligned table, the first row as its header. */
export function printTable(rows: readonly (readonly string[])[]): void {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  for (const [i, r] of rows.entries()) {
    console.log(r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  '));
    if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  }
}

/**
 * Runs a benchmark's main: the clean-up runs after it, after a failure and on SIGINT/SIGTERM; the
 * process then exits (library handles such as pg pools must not keep it alive).
 */
export function runBenchmark(cleanup: Cleanup, main: () => Promise<void>): void {
  let exiting = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (exiting) return;
      exiting = true;
      log(`${signal}: cleaning up`);
      void cleanup.run().finally(() => process.exit(130));
    });
  }
  main()
    .catch((err: Error) => {
      if (!exiting) console.error(`[bench] failed: ${err.stack ?? err.message}`);
      process.exitCode = exiting ? 130 : 1;
    })
    .finally(async () => {
      await cleanup.run();
      setTimeout(() => process.exit(), 200).unref();
    });
}
