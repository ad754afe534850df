/** What every benchmark script shares: parameters, logging, child processes, clean-up, machine details, results. */
import type { ServiceProcess } from '@fleet/testing';
import { ChildProcess, execSync, fork } from 'node:child_process';
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

/** A number for a table: grouped thousands, at most `digits` decimals; '-' when there is none. */
export const fmt = (x: number | null | undefined, digits = 0) =>
  x === null || x === undefined ? '-' : x.toLocaleString('en-US', { maximumFractionDigits: digits });

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));
export const sleepUntil = (atMs: number) => sleep(atMs - Date.now());

/** Small deterministic PRNG (mulberry32): the same seed gives the same sequence in every run. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The q-quantile (0..1) of ascending `sorted` values, nearest rank; null when empty. */
export function quantile(sorted: ArrayLike<number>, q: number): number | null {
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

// ---------------------------------------------------------------------------------------------------
// Child processes

/** Forks bench/<file> (TypeScript, run as the benchmarks are) with an IPC channel. */
export function forkTs(file: string, env: Record<string, string> = {}): ChildProcess {
  return fork(resolve(__dirname, file), [], {
    cwd: ROOT,
    execArgv: ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register'],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

/** A message of a forked child: {type: 'error', message} when it failed. */
export interface ChildMessage<Stats = unknown> {
  type: string;
  message?: string;
  stats?: Stats;
}

/**
 * The child's next message of this type; rejects on its 'error' message, on its exit and after
 * `timeoutMs`. `who` names the child in the errors.
 */
export function nextMessage<Stats = unknown>(
  child: ChildProcess,
  type: string,
  timeoutMs: number,
  who = `child ${child.pid}`,
): Promise<ChildMessage<Stats>> {
  return new Promise((resolvePromise, reject) => {
    const cleanupListeners = () => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    const onMessage = (m: ChildMessage<Stats>) => {
      if (m.type === type) {
        cleanupListeners();
        resolvePromise(m);
      } else if (m.type === 'error') {
        cleanupListeners();
        reject(new Error(`${who}: ${m.message}`));
      }
    };
    const onExit = (code: number | null) => {
      cleanupListeners();
      reject(new Error(`${who} exited (${code}) before '${type}'`));
    };
    const timer = setTimeout(() => {
      cleanupListeners();
      reject(new Error(`${who}: no '${type}' within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

/** Stops a child: SIGTERM, SIGKILL after 3 s. */
export async function killChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const gone = await Promise.race([exited.then(() => true), sleep(3000).then(() => false)]);
  if (!gone) {
    child.kill('SIGKILL');
    await exited;
  }
}

/** Stops a service: SIGTERM, SIGKILL after 10 s. */
export async function killService(service: ServiceProcess): Promise<void> {
  const code = await Promise.race([service.kill('SIGTERM'), sleep(10_000).then(() => 'timeout' as const)]);
  if (code === 'timeout') await service.kill('SIGKILL');
}

// ---------------------------------------------------------------------------------------------------
// Clean-up

/** Set by runBenchmark once a signal's clean-up has begun. */
let exiting = false;

/** Everything a run started, torn down in reverse order, also on error or signal. */
export class Cleanup {
  private tasks: { name: string; run: () => Promise<unknown> }[] = [];
  /** Runs are serialised: a second caller (a signal during a phase's own clean-up) waits for the first. */
  private chain: Promise<void> = Promise.resolve();

  add(name: string, run: () => Promise<unknown>): void {
    this.tasks.push({ name, run });
    // Started after a signal's clean-up began: undo it now rather than leave it behind.
    if (exiting) void this.run();
  }

  run(): Promise<void> {
    this.chain = this.chain.then(() => this.runTasks());
    return this.chain;
  }

  private async runTasks(): Promise<void> {
    while (this.tasks.length > 0) {
      const task = this.tasks.pop()!;
      try {
        await withTimeout(task.run(), 20_000, `clean-up of ${task.name}`);
      } catch (err) {
        console.error(`[bench] clean-up of ${task.name} failed: ${(err as Error).message}`);
      }
    }
  }
}

/**
 * Runs a benchmark's main: the clean-up runs after it, after a failure and on SIGINT/SIGTERM; the
 * process then exits (library handles such as pg pools must not keep it alive).
 */
export function runBenchmark(cleanup: Cleanup, main: () => Promise<void>): void {
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
      // After a signal the clean-up kills what the run was using: the errors that follow are expected.
      if (!exiting) console.error(`[bench] failed: ${err.stack ?? err.message}`);
      process.exitCode = exiting ? 130 : 1;
    })
    .finally(async () => {
      await cleanup.run();
      setTimeout(() => process.exit(), 200).unref();
    });
}

// ---------------------------------------------------------------------------------------------------
// Machine details and results

/** What a benchmark also depends on, reported after the PostgreSQL settings, by result field. */
export interface MachineExtras<S extends string, C extends string> {
  /** PostgreSQL settings (current_setting), e.g. { postgresFsync: 'fsync' }. */
  postgresSettings?: Record<S, string>;
  /** Shell commands' output (null when they fail), e.g. { mosquitto: 'mosquitto -h | head -n 1' }. */
  commands?: Record<C, string>;
}

/** The machine, the versions and the commit a result was measured on. */
export async function machineDetails<S extends string = never, C extends string = never>(
  extras: MachineExtras<S, C> = {},
) {
  const sh = (cmd: string) => {
    try {
      return execSync(cmd, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
    } catch {
      return null;
    }
  };
  const settings = Object.entries<string>(extras.postgresSettings ?? {});
  const commands = Object.entries<string>(extras.commands ?? {});
  const pg = new Client({
    connectionString: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/fleet',
  });
  await pg.connect();
  const { rows } = await pg.query<{ version: string; postgis: string | null; sync: string }>(
    `SELECT version(), current_setting('synchronous_commit') AS sync,
            (SELECT extversion FROM pg_extension WHERE extname = 'postgis') AS postgis`,
  );
  const { rows: values } = await pg.query<{ value: string }>(
    `SELECT current_setting(name) AS value FROM unnest($1::text[]) WITH ORDINALITY AS s(name, i) ORDER BY i`,
    [settings.map(([, name]) => name)],
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
    ...(Object.fromEntries(settings.map(([field], i) => [field, values[i].value])) as Record<S, string>),
    ...(Object.fromEntries(commands.map(([field, cmd]) => [field, sh(cmd)])) as Record<C, string | null>),
    gitCommit: sh('git rev-parse HEAD'),
    gitDirty: (sh('git status --porcelain') ?? '') !== '',
  };
}

/**
 * Writes a result as JSON in the project's Prettier style (so `prettier --check` stays clean).
 * `expanded`: every object on lines of its own (Prettier keeps an object expanded when its input
 * breaks after the `{`); otherwise the objects that fit on a line are put on one.
 */
export async function writeResult(file: string, result: object, { expanded = false } = {}): Promise<void> {
  mkdirSync(dirname(file), { recursive: true });
  const style = (await prettierConfig(file)) ?? {};
  writeFileSync(
    file,
    await prettierFormat(JSON.stringify(result, null, expanded ? 2 : undefined), {
      ...style,
      parser: 'json',
      filepath: file,
    }),
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
