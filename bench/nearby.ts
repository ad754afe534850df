/**
 * Nearby benchmark (`npm run bench:nearby`): 100,000 cars in the latest state over a city the size of
 * Berlin; `GET /api/v1/vehicles/nearby` of the built booking service at increasing fixed rates (open
 * loop, latency from the scheduled send time); in the same run, the same query as raw SQL over `pg` and
 * as Redis GEOSEARCH, as baselines. Prints achieved req/s, p50, p99, max, errors and CPU per step and
 * the ratios; results in bench/results/nearby.json. See bench/README.md.
 *
 * Settings (environment): NEARBY_BENCH_QUICK (1: 20,000 cars, 50, 250 and 1,000 req/s, 5 s steps,
 * results to the temp dir), NEARBY_BENCH_VEHICLES (100000), NEARBY_BENCH_RATES (25,50,100,250,500,1000,2000),
 * NEARBY_BENCH_STEP_S (15), NEARBY_BENCH_STEP_WARMUP_S (2), NEARBY_BENCH_WARMUP_S (10, per target before
 * its first step), NEARBY_BENCH_TARGETS (http,sql,redis), NEARBY_BENCH_HTTP_CONNECTIONS (32),
 * NEARBY_BENCH_RADIUS_M (1000), NEARBY_BENCH_LIMIT (20), NEARBY_BENCH_SATURATED_P99_MS (1000: a target
 * whose p99 exceeds it skips its higher rates), NEARBY_BENCH_RESULTS (path of the JSON),
 * NEARBY_BENCH_BOOKING_NODE_ARGS (node options of the booking service, e.g. --cpu-prof), REDIS_URL
 * (redis://127.0.0.1:6379).
 */
import { loadConfig } from '@fleet/config';
import { migrate } from '@fleet/domain';
import {
  createTestDatabase,
  databaseUrl,
  freePort,
  prepareTemplateDatabase,
  startService,
  TEMPLATE_DATABASE,
  TestDatabase,
} from '@fleet/testing';
import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { resolve } from 'node:path';
import { Client } from 'pg';
import { BookingConfig } from '../apps/booking/src/config/booking.config';
import { bookableCondition } from '../apps/booking/src/vehicles/bookable';
import { nearbySql } from '../apps/booking/src/vehicles/nearby-sql';
import { SERVICE_NODE_ARGS } from '../libs/service-kit/src/node-args';
import {
  Cleanup,
  fmt,
  forkTs,
  intEnv,
  killChild,
  killService,
  log,
  machineDetails,
  nextMessage,
  printTable,
  prng,
  round,
  ROOT,
  runBenchmark,
  sleep,
  sleepUntil,
  writeResult,
} from './common';
import type { Box, LoadSetup, LoadStep, StepStats, Target } from './nearby-load';
import { geoSearch, percentiles } from './nearby-load';
import { allProcesses, CLOCK_TICKS_PER_S, cpuReport, CpuReport, cpuSnapshot, procStat } from './proc';

const cleanup = new Cleanup();
const TARGETS: readonly Target[] = ['http', 'sql', 'redis'];
const TARGET_LABEL: Record<Target, string> = { http: 'HTTP', sql: 'SQL (pg)', redis: 'Redis GEO' };
/** The booking service's pool: createDataSource's default (libs/domain), which it does not change. */
const BOOKING_DB_POOL_SIZE = 10;
const GOAL = { ratePerS: 1000, p99Ms: 10 };
/** Names the load generator (bench/nearby-load.ts, a child process) in errors. */
const LOADGEN = 'load generator';

// ---------------------------------------------------------------------------------------------------
// Parameters

function listEnv<T extends string | number>(name: string, fallback: T[], parse: (s: string) => T): T[] {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  return raw.split(',').map((s) => parse(s.trim()));
}

const quick = process.env.NEARBY_BENCH_QUICK === '1';

const params = {
  quick,
  vehicles: intEnv('NEARBY_BENCH_VEHICLES', quick ? 20_000 : 100_000),
  ratesPerS: listEnv(
    'NEARBY_BENCH_RATES',
    quick ? [50, 250, 1000] : [25, 50, 100, 250, 500, 1000, 2000],
    (s) => {
      const n = Number(s);
      if (!Number.isInteger(n) || n < 1) throw new Error(`NEARBY_BENCH_RATES: ${s} is not a rate`);
      return n;
    },
  ),
  stepS: intEnv('NEARBY_BENCH_STEP_S', quick ? 5 : 15),
  stepWarmupS: intEnv('NEARBY_BENCH_STEP_WARMUP_S', 2, 0),
  targetWarmupS: intEnv('NEARBY_BENCH_WARMUP_S', quick ? 3 : 10, 0),
  targets: listEnv('NEARBY_BENCH_TARGETS', [...TARGETS], (s) => {
    if (!(TARGETS as string[]).includes(s)) throw new Error(`NEARBY_BENCH_TARGETS: unknown target ${s}`);
    return s as Target;
  }),
  httpConnections: intEnv('NEARBY_BENCH_HTTP_CONNECTIONS', 32),
  sqlPoolSize: BOOKING_DB_POOL_SIZE,
  radiusM: intEnv('NEARBY_BENCH_RADIUS_M', 1000),
  limit: intEnv('NEARBY_BENCH_LIMIT', 20),
  saturatedP99Ms: intEnv('NEARBY_BENCH_SATURATED_P99_MS', 1000),
  maxDrainS: 30,
  /** Requests in flight are capped at this many seconds of the rate; new ones are then shed (errors). */
  maxOutstandingS: 1,
  seed: 20_261_121,
  redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
};
params.ratesPerS.sort((a, b) => a - b);
const RESULTS = resolve(
  process.env.NEARBY_BENCH_RESULTS ??
    (quick ? resolve(os.tmpdir(), 'nearby-quick.json') : resolve(__dirname, 'results/nearby.json')),
);

/** Berlin: about 30 km east-west by 25 km north-south around Alexanderplatz. */
const CENTRE = { lat: 52.52, lon: 13.405 };
const SIZE_KM = { eastWest: 30, northSouth: 25 };
const KM_PER_DEG_LAT = 111.2;
const KM_PER_DEG_LON = 111.32 * Math.cos((CENTRE.lat * Math.PI) / 180);
export const BOX: Box = {
  minLat: CENTRE.lat - SIZE_KM.northSouth / 2 / KM_PER_DEG_LAT,
  maxLat: CENTRE.lat + SIZE_KM.northSouth / 2 / KM_PER_DEG_LAT,
  minLon: CENTRE.lon - SIZE_KM.eastWest / 2 / KM_PER_DEG_LON,
  maxLon: CENTRE.lon + SIZE_KM.eastWest / 2 / KM_PER_DEG_LON,
};

/**
 * The business area: a superellipse (|x|^4 + |y|^4 = 1, a rounded rectangle) over 98 % of the box, 128
 * vertices; it leaves the box's corners out (about 11 % of the cars), as a real business area leaves
 * out the edge of a city.
 */
function businessAreaWkt(): string {
  const n = 128;
  const a = ((BOX.maxLon - BOX.minLon) / 2) * 0.98;
  const b = ((BOX.maxLat - BOX.minLat) / 2) * 0.98;
  const pts: string[] = [];
  for (let k = 0; k < n; k++) {
    const t = (2 * Math.PI * k) / n;
    const c = Math.cos(t);
    const s = Math.sin(t);
    const x = CENTRE.lon + a * Math.sign(c) * Math.sqrt(Math.abs(c));
    const y = CENTRE.lat + b * Math.sign(s) * Math.sqrt(Math.abs(s));
    pts.push(`${x.toFixed(6)} ${y.toFixed(6)}`);
  }
  pts.push(pts[0]);
  return `SRID=4326;MULTIPOLYGON(((${pts.join(', ')})))`;
}

/** utime and stime of processes, clock ticks (0 for those gone). */
function userSystemTicks(pids: readonly number[]): { user: number; system: number } {
  return pids.reduce(
    (sum, pid) => {
      const s = procStat(pid);
      return s ? { user: sum.user + s.user, system: sum.system + s.system } : sum;
    },
    { user: 0, system: 0 },
  );
}

/** The booking service's processes: the one started, and its workers when BOOKING_WORKERS > 1. */
function serviceProcesses(pid: number): number[] {
  return [
    pid,
    ...allProcesses()
      .filter((p) => p.ppid === pid)
      .map((p) => p.pid),
  ];
}

// ---------------------------------------------------------------------------------------------------
// The data: cars, their latest state as the gateway writes it, one business area

export async function populate(db: Client, config: BookingConfig) {
  const t = Date.now();
  await db.query(`SELECT setseed(0.42)`);
  // Cars and their state rows in one statement: the vehicles trigger that makes an offline state row
  // fires at the end of the statement and finds the row there (ON CONFLICT DO NOTHING). The random
  // draws sit in a subquery that PostgreSQL does not flatten (volatile), so each row draws once.
  await db.query(
    `WITH v AS (
       INSERT INTO vehicles (id, plate, model, propulsion, operational_status)
       SELECT 'BN' || lpad(g::text, 6, '0'), 'B-FL ' || g,
              (ARRAY['VW ID.3', 'Renault Zoe', 'BMW i3', 'Mini Cooper SE', 'VW Golf', 'Fiat 500'])[1 + g % 6],
              CASE WHEN g % 2 = 0 THEN 'electric' ELSE 'combustion' END,
              CASE WHEN g % 50 = 0 THEN 'maintenance' ELSE 'active' END
         FROM generate_series(1, $1::int) AS g
       RETURNING id, propulsion, operational_status
     ),
     d AS (
       SELECT id, propulsion, x, y, e, age, h,
              CASE WHEN operational_status <> 'active' THEN 'maintenance'
                   WHEN k < 0.05 THEN 'reserved'
                   WHEN k < 0.08 THEN 'on_trip'
                   WHEN k < 0.12 THEN 'offline'
                   WHEN k < 0.16 THEN 'low_energy'
                   WHEN k < 0.17 THEN 'stale_fix'
                   ELSE 'free' END AS kind
         FROM (SELECT v.*, random() AS x, random() AS y, random() AS k, random() AS e, random() AS age,
                      random() AS h
                 FROM v) r
     ),
     f AS (
       SELECT d.*,
              CASE WHEN kind = 'low_energy' THEN 2 + e * 12 ELSE 15 + e * 85 END AS pct,
              CASE WHEN kind = 'offline' THEN now() - (1 + age * 5) * interval '1 hour'
                   WHEN kind = 'stale_fix' THEN now() - interval '2 hours'
                   ELSE now() - age * interval '5 minutes' END AS fix
         FROM d
     )
     INSERT INTO vehicle_state (vehicle_id, position, fix_at, seq, accuracy_m, heading_deg, speed_kmh,
                                odometer_km, range_km, fuel_pct, battery_pct, locked, ignition, doors_closed,
                                online, online_changed_at, last_seen_at, state, state_before_offline,
                                state_changed_at, updated_at)
     SELECT id,
            ST_SetSRID(ST_MakePoint($2::float8 + x * ($3::float8 - $2::float8),
                                $4::float8 + y * ($5::float8 - $4::float8)), 4326)::geography,
            fix, 1 + floor(age * 100000)::bigint, 3 + h * 12, h * 360,
            CASE WHEN kind = 'on_trip' THEN 15 + e * 30 ELSE 0 END,
            1000 + h * 80000,
            CASE WHEN propulsion = 'electric' THEN pct * 3.5 ELSE pct * 7 END,
            CASE WHEN propulsion = 'combustion' THEN pct END,
            CASE WHEN propulsion = 'electric' THEN pct END,
            kind <> 'on_trip', kind = 'on_trip', true,
            kind <> 'offline', now() - interval '1 day',
            CASE WHEN kind = 'offline' THEN fix ELSE now() - age * interval '1 minute' END,
            CASE kind WHEN 'maintenance' THEN 'non_operational' WHEN 'reserved' THEN 'reserved'
                      WHEN 'on_trip' THEN 'on_trip' WHEN 'offline' THEN 'non_contactable'
                      ELSE 'available' END,
            CASE WHEN kind = 'offline' THEN 'available' END,
            now() - age * interval '1 hour', now()
       FROM f`,
    [params.vehicles, BOX.minLon, BOX.maxLon, BOX.minLat, BOX.maxLat],
  );
  await db.query(
    `INSERT INTO zones (name, kind, geometry) VALUES ('Berlin (bench)', 'business_area', ST_GeogFromText($1))`,
    [businessAreaWkt()],
  );
  await db.query(`VACUUM ANALYZE vehicles`);
  await db.query(`VACUUM ANALYZE vehicle_state`);
  await db.query(`VACUUM ANALYZE zones`);
  const {
    rows: [counts],
  } = await db.query<{ cars: number; states: Record<string, number>; bookable: number; in_zone: number }>(
    `SELECT (SELECT count(*)::int FROM vehicles) AS cars,
            (SELECT json_object_agg(state, n) FROM (SELECT state, count(*)::int AS n FROM vehicle_state
                                                     GROUP BY state ORDER BY state) x) AS states,
            (SELECT count(*)::int FROM vehicle_state s JOIN vehicles v ON v.id = s.vehicle_id
              WHERE ${bookableCondition(config)}) AS bookable,
            (SELECT count(*)::int FROM vehicle_state s
              WHERE EXISTS (SELECT 1 FROM zones z WHERE ST_Covers(z.geometry, s.position))) AS in_zone`,
  );
  return {
    cars: counts.cars,
    byState: counts.states,
    bookable: counts.bookable,
    insideBusinessArea: counts.in_zone,
    zoneVertices: 128,
    seconds: round((Date.now() - t) / 1000, 1),
  };
}

/** The bookable cars (by the same condition as the service) into a Redis GEO key. */
async function loadRedis(db: Client, redis: Redis, key: string, config: BookingConfig): Promise<number> {
  const { rows } = await db.query<{ id: string; lon: number; lat: number }>(
    `SELECT s.vehicle_id AS id, ST_X(s.position::geometry) AS lon, ST_Y(s.position::geometry) AS lat
       FROM vehicle_state s JOIN vehicles v ON v.id = s.vehicle_id WHERE ${bookableCondition(config)}`,
  );
  await redis.del(key);
  for (let i = 0; i < rows.length; i += 5000) {
    const args: (string | number)[] = [];
    for (const r of rows.slice(i, i + 5000)) args.push(r.lon, r.lat, r.id);
    await redis.geoadd(key, ...args);
  }
  // A safety net should the clean-up not run (the bench is killed hard).
  await redis.expire(key, 3600);
  return redis.zcard(key);
}

// ---------------------------------------------------------------------------------------------------
// Before the load: do the three targets answer the same? And what does PostgreSQL itself spend?

function randomPoints(n: number, seed: number): { lat: number; lon: number }[] {
  const random = prng(seed);
  return Array.from({ length: n }, () => ({
    lat: BOX.minLat + random() * (BOX.maxLat - BOX.minLat),
    lon: BOX.minLon + random() * (BOX.maxLon - BOX.minLon),
  }));
}

async function crossCheck(baseUrl: string, db: Client, redis: Redis | null, redisKey: string, sql: string) {
  const points = randomPoints(50, params.seed ^ 0x5eed);
  let httpEqualsSql = 0;
  let sharedWithRedis = 0;
  let redisTotal = 0;
  let carsTotal = 0;
  let maxDistanceDiffM = 0;
  for (const p of points) {
    const res = await fetch(
      `${baseUrl}/api/v1/vehicles/nearby?lat=${p.lat.toFixed(6)}&lon=${p.lon.toFixed(6)}&radius=${params.radiusM}&limit=${params.limit}`,
    );
    if (res.status !== 200) throw new Error(`nearby answered ${res.status}: ${await res.text()}`);
    const body = (await res.json()) as { vehicles: { id: string; distanceM: number }[] };
    // The service gets the query string: lat/lon rounded to 6 decimals, the same for the others.
    const lat = Number(p.lat.toFixed(6));
    const lon = Number(p.lon.toFixed(6));
    const { rows } = await db.query<{ id: string }>(sql, [lat, lon, params.radiusM, params.limit]);
    const httpIds = body.vehicles.map((v) => v.id);
    if (httpIds.join() === rows.map((r) => r.id).join()) httpEqualsSql++;
    carsTotal += httpIds.length;
    if (redis) {
      const answer = await geoSearch(redis, redisKey, lat, lon, params.radiusM, params.limit);
      redisTotal += answer.length;
      const byId = new Map(body.vehicles.map((v) => [v.id, v.distanceM]));
      for (const [id, dist] of answer) {
        const d = byId.get(id);
        if (d === undefined) continue;
        sharedWithRedis++;
        maxDistanceDiffM = Math.max(maxDistanceDiffM, Math.abs(d - Number(dist)));
      }
    }
  }
  return {
    points: points.length,
    meanCarsPerAnswer: round(carsTotal / points.length, 2),
    httpEqualsSql,
    redisMeanCarsPerAnswer: redis ? round(redisTotal / points.length, 2) : null,
    /** Share of the HTTP answers' cars that Redis also returned (sphere vs ellipsoid near the cut-off). */
    redisSharePct: redis && carsTotal ? round((sharedWithRedis / carsTotal) * 100, 1) : null,
    maxDistanceDiffM: redis ? round(maxDistanceDiffM, 2) : null,
  };
}

/**
 * EXPLAIN ANALYZE of the statement at a few points: PostgreSQL's own time, without the client, with
 * the session settings of the service's nearby connections.
 */
async function explain(db: Client, sql: string) {
  await db.query(`SET enable_bitmapscan = off`);
  const points = randomPoints(100, params.seed ^ 0xe7);
  const planning: number[] = [];
  const execution: number[] = [];
  let jitUsed = 0;
  let plan: unknown = null;
  for (const p of points) {
    const { rows } = await db.query<{ 'QUERY PLAN': unknown[] }>(
      `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${sql}`,
      [p.lat, p.lon, params.radiusM, params.limit],
    );
    const top = rows[0]['QUERY PLAN'][0] as {
      'Planning Time': number;
      'Execution Time': number;
      JIT?: unknown;
      Plan: unknown;
    };
    planning.push(top['Planning Time']);
    execution.push(top['Execution Time']);
    if (top.JIT) jitUsed++;
    plan ??= top;
  }
  const { rows: text } = await db.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${sql}`, [
    points[0].lat,
    points[0].lon,
    params.radiusM,
    params.limit,
  ]);
  const perQueryMs = (percentiles(planning).p50 ?? 0) + (percentiles(execution).p50 ?? 0);
  return {
    points: points.length,
    planningMs: percentiles(planning),
    executionMs: percentiles(execution),
    /** Planning + execution p50: PostgreSQL's CPU per query, at least (one backend runs one query). */
    ceilingMsPerQuery: round(perQueryMs, 3),
    /** What the machine's cores could run of it at best, with nothing else to do. */
    ceilingPerS: perQueryMs > 0 ? Math.round((os.cpus().length * 1000) / perQueryMs) : null,
    jitUsed,
    planText: text.map((r) => r['QUERY PLAN']),
    planJson: plan,
  };
}

// ---------------------------------------------------------------------------------------------------
// Machine and versions

/** bench/common.ts's machine details, plus what this benchmark also depends on. */
async function machine(redis: Redis | null) {
  let redisVersion: string | null = null;
  let redisPid: number | null = null;
  if (redis) {
    const info = await redis.info('server');
    redisVersion = /redis_version:(\S+)/.exec(info)?.[1] ?? null;
    redisPid = Number(/process_id:(\d+)/.exec(info)?.[1]) || null;
  }
  const version = (pkg: string) => {
    try {
      // The installed copy's manifest (read as a file: some packages' "exports" hide package.json).
      const file = resolve(ROOT, 'node_modules', pkg, 'package.json');
      return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
    } catch {
      return null;
    }
  };
  return {
    info: {
      ...(await machineDetails({
        postgresSettings: { postgresJit: 'jit', postgresSharedBuffers: 'shared_buffers' },
      })),
      redis: redisVersion,
      packages: {
        pg: version('pg'),
        typeorm: version('typeorm'),
        ioredis: version('ioredis'),
        '@nestjs/core': version('@nestjs/core'),
        express: version('express'),
      },
    },
    redisPid,
  };
}

// ---------------------------------------------------------------------------------------------------
// Output

interface StepResult extends StepStats {
  cpuPctOfOneCore: CpuReport<
    'booking' | 'bookingBackends' | 'sqlBackends' | 'redis' | 'loadGenerator' | 'benchMain'
  >;
  bookingUserSystemPct: { user: number; system: number };
  /** Wait after the step until the database had no active query (an overloaded target catching up). */
  idleWaitMs: number;
}

const ms = (x: number | null | undefined) =>
  x === null || x === undefined ? '-' : x < 10 ? fmt(x, 2) : x < 100 ? fmt(x, 1) : fmt(x, 0);

function stepRows(steps: StepResult[]): string[][] {
  return [
    [
      'target',
      'rate/s',
      'achieved/s',
      'p50 ms',
      'p90 ms',
      'p99 ms',
      'max ms',
      'errors',
      'cars',
      'booking %',
      'of it sys',
      'its PG %',
      'PG all %',
      'Redis %',
      'loadgen %',
      'busy %',
    ],
    ...steps.map((s) => [
      TARGET_LABEL[s.target],
      fmt(s.ratePerS),
      fmt(s.achievedPerS, 0),
      ms(s.latencyMs.p50),
      ms(s.latencyMs.p90),
      ms(s.latencyMs.p99),
      ms(s.latencyMs.max),
      fmt(s.errors),
      fmt(s.meanResults, 1),
      s.target === 'http' ? fmt(s.cpuPctOfOneCore.booking, 1) : '-',
      s.target === 'http' ? fmt(s.bookingUserSystemPct.system, 1) : '-',
      s.target === 'http'
        ? fmt(s.cpuPctOfOneCore.bookingBackends, 1)
        : s.target === 'sql'
          ? fmt(s.cpuPctOfOneCore.sqlBackends, 1)
          : '-',
      fmt(s.cpuPctOfOneCore.postgresAll, 1),
      fmt(s.cpuPctOfOneCore.redis, 1),
      fmt(s.cpuPctOfOneCore.loadGenerator, 1),
      fmt(s.cpuPctOfOneCore.machineBusyPctOfAllCores, 1),
    ]),
  ];
}

function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  return a === null || a === undefined || b === null || b === undefined || b === 0 ? null : round(a / b, 1);
}

function ratiosOf(steps: StepResult[]) {
  return params.ratesPerS.map((rate) => {
    const at = (t: Target) => steps.find((s) => s.ratePerS === rate && s.target === t);
    const [h, q, r] = [at('http'), at('sql'), at('redis')];
    return {
      ratePerS: rate,
      httpOverSqlP50: ratio(h?.latencyMs.p50, q?.latencyMs.p50),
      httpOverSqlP99: ratio(h?.latencyMs.p99, q?.latencyMs.p99),
      httpOverRedisP50: ratio(h?.latencyMs.p50, r?.latencyMs.p50),
      httpOverRedisP99: ratio(h?.latencyMs.p99, r?.latencyMs.p99),
      sqlOverRedisP99: ratio(q?.latencyMs.p99, r?.latencyMs.p99),
      /** CPU per answer, ms of one core: booking process + its PostgreSQL backends, vs the SQL backends. */
      httpCpuMsPerRequest:
        h && h.achievedPerS
          ? round(((h.cpuPctOfOneCore.booking + h.cpuPctOfOneCore.bookingBackends) * 10) / h.achievedPerS, 3)
          : null,
      sqlCpuMsPerRequest:
        q && q.achievedPerS ? round((q.cpuPctOfOneCore.sqlBackends * 10) / q.achievedPerS, 3) : null,
    };
  });
}

// ---------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const startedAt = new Date();
  const useRedis = params.targets.includes('redis');
  let redis: Redis | null = null;
  if (useRedis) {
    redis = new Redis(params.redisUrl, {
      lazyConnect: true,
      maxRetriesPerRequest: 1,
      retryStrategy: () => null,
    });
    try {
      await redis.connect();
      await redis.ping();
    } catch (err) {
      throw new Error(
        `Redis is not reachable at ${params.redisUrl} (${(err as Error).message}). Start one (Debian: ` +
          `apt-get install redis-server; redis-server --daemonize yes), set REDIS_URL, or leave the ` +
          `Redis baseline out with NEARBY_BENCH_TARGETS=http,sql.`,
      );
    }
    const r = redis;
    cleanup.add('redis connection', async () => r.disconnect());
  }
  const { info, redisPid } = await machine(redis);
  log(
    `${info.cpuCount} x ${info.cpuModel}, ${info.totalMemoryGiB} GiB, Node ${info.node}` +
      (quick ? ' (QUICK mode)' : ''),
  );
  log(
    `${params.vehicles} cars over ${SIZE_KM.eastWest} x ${SIZE_KM.northSouth} km; rates ${params.ratesPerS.join(', ')} req/s, ` +
      `${params.stepS} s each (+${params.stepWarmupS} s unmeasured); radius ${params.radiusM} m, limit ${params.limit}; ` +
      `targets ${params.targets.join(', ')}`,
  );

  // The database: a clone of the migrated template, brought up to date should the template lag.
  const admin = new Client({ connectionString: databaseUrl('postgres') });
  await admin.connect();
  const { rowCount } = await admin.query(`SELECT 1 FROM pg_database WHERE datname = $1`, [TEMPLATE_DATABASE]);
  await admin.end();
  if (!rowCount) {
    log(`template database ${TEMPLATE_DATABASE} missing: creating it`);
    await prepareTemplateDatabase();
  }
  const db: TestDatabase = await createTestDatabase();
  cleanup.add(`database ${db.name}`, () => db.drop());
  await migrate(db.url);

  const bookingEnv: Record<string, string> = {
    DATABASE_URL: db.url,
    LOG_LEVEL: 'warn',
    // One worker per core, as the service should run in production.
    BOOKING_WORKERS: process.env.BOOKING_WORKERS ?? String(os.cpus().length),
    // The load generator is one address: no per-address limit (it would answer most searches 429).
    THROTTLE_NEARBY_PER_MIN: '0',
  };
  // The configuration the service will load (the same environment), for the same SQL.
  const bookingConfig = loadConfig(BookingConfig, { ...process.env, ...bookingEnv });
  const sql = nearbySql(bookingConfig);

  log(`populating ${db.name}`);
  const data = await populate(db.client, bookingConfig);
  log(
    `${data.cars} cars in ${data.seconds} s: ${data.bookable} bookable, ${data.insideBusinessArea} inside the ` +
      `business area; states ${JSON.stringify(data.byState)}`,
  );

  const redisKey = `fleet:bench:nearby:${randomBytes(6).toString('hex')}`;
  let redisMembers: number | null = null;
  if (redis) {
    const r = redis;
    cleanup.add(`redis key ${redisKey}`, () => r.del(redisKey));
    redisMembers = await loadRedis(db.client, redis, redisKey, bookingConfig);
    log(`Redis: ${redisMembers} bookable cars in ${redisKey}`);
  }

  // The node options of `npm start`, and any of NEARBY_BENCH_BOOKING_NODE_ARGS (e.g. --cpu-prof).
  const nodeArgs = [
    ...(SERVICE_NODE_ARGS.booking ?? []),
    ...(process.env.NEARBY_BENCH_BOOKING_NODE_ARGS ?? '').split(/\s+/).filter(Boolean),
  ];
  const booking = await startService('booking', await freePort(), bookingEnv, 60_000, nodeArgs);
  cleanup.add('booking service', () => killService(booking));
  log(`booking service pid ${booking.child.pid} on ${booking.baseUrl}`);

  const check = await crossCheck(booking.baseUrl, db.client, redis, redisKey, sql);
  log(
    `cross-check at ${check.points} points: HTTP = SQL on ${check.httpEqualsSql}; ${check.meanCarsPerAnswer} cars per ` +
      `answer` +
      (redis
        ? `; Redis ${check.redisMeanCarsPerAnswer} per answer, ${check.redisSharePct} % of them the same cars, ` +
          `distances within ${check.maxDistanceDiffM} m (sphere vs ellipsoid)`
        : ''),
  );
  if (check.httpEqualsSql !== check.points) throw new Error('the service and the SQL baseline disagree');
  const plan = await explain(db.client, sql);
  log(
    `EXPLAIN ANALYZE at ${plan.points} points: execution p50 ${plan.executionMs.p50} ms, p99 ${plan.executionMs.p99} ms; ` +
      `planning p50 ${plan.planningMs.p50} ms; JIT used ${plan.jitUsed} times; ceiling about ${plan.ceilingPerS} ` +
      `queries/s on ${os.cpus().length} cores`,
  );

  // The load generator
  const loadgen = forkTs('nearby-load.ts');
  cleanup.add('load generator', () => killChild(loadgen));
  const setup: LoadSetup = {
    httpBase: booking.baseUrl,
    httpConnections: params.httpConnections,
    sqlUrl: db.url,
    sql,
    sqlPoolSize: params.sqlPoolSize,
    redisUrl: redis ? params.redisUrl : null,
    redisKey,
    radiusM: params.radiusM,
    limit: params.limit,
    box: BOX,
  };
  const ready = nextMessage(loadgen, 'ready', 30_000, LOADGEN);
  loadgen.send({ cmd: 'setup', ...setup });
  await ready;

  const backendsOf = async (applicationName: string) =>
    (
      await db.client.query<{ pid: number }>(
        `SELECT pid FROM pg_stat_activity WHERE datname = $1 AND application_name LIKE $2 || '%'`,
        [db.name, applicationName],
      )
    ).rows.map((r) => r.pid);

  const runStep = async (
    target: Target,
    ratePerS: number,
    warmupS: number,
    durationS: number,
    seed: number,
  ) => {
    const step: LoadStep = {
      target,
      ratePerS,
      startAtMs: Date.now() + 200,
      warmupS,
      durationS,
      seed,
      maxDrainMs: params.maxDrainS * 1000,
      maxOutstandingS: params.maxOutstandingS,
    };
    const done = nextMessage<StepStats>(
      loadgen,
      'step-done',
      (warmupS + durationS + params.maxDrainS + 30) * 1000,
      LOADGEN,
    );
    loadgen.send({ cmd: 'step', ...step });
    const windowStart = step.startAtMs + warmupS * 1000;
    await sleepUntil(windowStart);
    const bookingPids = serviceProcesses(booking.child.pid!);
    const before = cpuSnapshot();
    const bookingBefore = userSystemTicks(bookingPids);
    const bookingBackends = await backendsOf('fleet-booking');
    const sqlBackends = await backendsOf('fleet-bench-sql');
    await sleepUntil(windowStart + durationS * 1000);
    const after = cpuSnapshot();
    const bookingAfter = userSystemTicks(bookingPids);
    bookingBackends.push(...(await backendsOf('fleet-booking')));
    sqlBackends.push(...(await backendsOf('fleet-bench-sql')));
    const stats = (await done).stats!;
    const cpu = cpuReport(
      before,
      after,
      {
        booking: bookingPids,
        bookingBackends,
        sqlBackends,
        redis: redisPid ? [redisPid] : [],
        loadGenerator: [loadgen.pid!],
        benchMain: [process.pid],
      },
      { topOthers: 5 },
    );
    // An overloaded target may still be working (the service goes on with requests whose client gave
    // up; queries run to their end): wait until the database is idle, so the next step starts clean.
    const idleSince = Date.now();
    while (Date.now() - idleSince < 60_000) {
      const { rows } = await db.client.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity
          WHERE datname = $1 AND state = 'active' AND pid <> pg_backend_pid()`,
        [db.name],
      );
      if (rows[0].n === 0) break;
      await sleep(100);
    }
    const windowS = (after.atMs - before.atMs) / 1000;
    const share = (ticks: number) => round((ticks / CLOCK_TICKS_PER_S / windowS) * 100, 1);
    return {
      ...stats,
      cpuPctOfOneCore: cpu,
      /** The booking process's CPU split: JavaScript and V8 (user) against the kernel (system: sockets). */
      bookingUserSystemPct: {
        user: share(bookingAfter.user - bookingBefore.user),
        system: share(bookingAfter.system - bookingBefore.system),
      },
      idleWaitMs: Date.now() - idleSince,
    };
  };

  const warmups: StepResult[] = [];
  const steps: StepResult[] = [];
  const skipped: { target: Target; ratePerS: number; reason: string }[] = [];
  const saturatedAt = new Map<Target, number>();
  for (const target of params.targets) {
    if (params.targetWarmupS === 0) continue;
    const rate = params.ratesPerS[0];
    log(`warm-up ${TARGET_LABEL[target]}: ${params.targetWarmupS} s at ${rate} req/s`);
    warmups.push(await runStep(target, rate, 0, params.targetWarmupS, params.seed - 1));
  }
  for (const [i, rate] of params.ratesPerS.entries()) {
    for (const target of params.targets) {
      const sat = saturatedAt.get(target);
      if (sat !== undefined) {
        skipped.push({ target, ratePerS: rate, reason: `saturated at ${sat} req/s` });
        log(`${TARGET_LABEL[target]} at ${rate} req/s: skipped, saturated at ${sat} req/s`);
        continue;
      }
      const s = await runStep(target, rate, params.stepWarmupS, params.stepS, params.seed + i);
      steps.push(s);
      log(
        `${TARGET_LABEL[target].padEnd(9)} ${String(rate).padStart(5)} req/s: achieved ${s.achievedPerS}/s, ` +
          `p50 ${ms(s.latencyMs.p50)} ms, p99 ${ms(s.latencyMs.p99)} ms, max ${ms(s.latencyMs.max)} ms, ` +
          `errors ${s.errors}` +
          (s.errorSamples.length ? ` (${s.errorSamples.join('; ')})` : '') +
          `; booking ${s.cpuPctOfOneCore.booking} %, PG ${s.cpuPctOfOneCore.postgresAll} %, ` +
          `loadgen ${s.cpuPctOfOneCore.loadGenerator} %, machine ${s.cpuPctOfOneCore.machineBusyPctOfAllCores} %`,
      );
      // Saturated: the tail is past the threshold, requests fail or are shed, or it falls behind the rate.
      if (
        s.latencyMs.p99 === null ||
        s.latencyMs.p99 > params.saturatedP99Ms ||
        s.errors > 0.01 * s.requests ||
        s.achievedPerS < 0.95 * s.offeredPerS
      ) {
        saturatedAt.set(target, rate);
      }
    }
  }
  const closed = nextMessage(loadgen, 'closed', 10_000, LOADGEN);
  loadgen.send({ cmd: 'close' });
  await closed.catch(() => undefined);

  const ratios = ratiosOf(steps);
  console.log('');
  printTable(stepRows(steps));
  console.log('');
  printTable([
    ['rate/s', 'HTTP/SQL p50', 'HTTP/SQL p99', 'HTTP/Redis p50', 'HTTP/Redis p99', 'SQL/Redis p99'],
    ...ratios.map((r) => [
      fmt(r.ratePerS),
      r.httpOverSqlP50 === null ? '-' : `${fmt(r.httpOverSqlP50, 1)}x`,
      r.httpOverSqlP99 === null ? '-' : `${fmt(r.httpOverSqlP99, 1)}x`,
      r.httpOverRedisP50 === null ? '-' : `${fmt(r.httpOverRedisP50, 1)}x`,
      r.httpOverRedisP99 === null ? '-' : `${fmt(r.httpOverRedisP99, 1)}x`,
      r.sqlOverRedisP99 === null ? '-' : `${fmt(r.sqlOverRedisP99, 1)}x`,
    ]),
  ]);
  console.log('');
  console.log(
    'Latency: from the scheduled send time to the last byte of the answer (open loop, fixed rate), ms; a failed ' +
      'or shed request counts as slower than any answer ("-": more than that share of the requests failed). ' +
      'achieved/s: answers completed inside the measured window. ' +
      'CPU: % of one core over the window (booking = the service process; its PG = its PostgreSQL backends).',
  );
  for (const s of skipped)
    console.log(`${TARGET_LABEL[s.target]} at ${s.ratePerS} req/s: skipped (${s.reason}).`);
  const goalStep = steps.find((s) => s.target === 'http' && s.ratePerS === GOAL.ratePerS);
  const httpSaturatedAt = saturatedAt.get('http');
  const goalMet = goalStep
    ? goalStep.latencyMs.p99 !== null &&
      goalStep.latencyMs.p99 <= GOAL.p99Ms &&
      goalStep.errors === 0 &&
      goalStep.achievedPerS >= 0.99 * goalStep.offeredPerS
    : httpSaturatedAt !== undefined && httpSaturatedAt <= GOAL.ratePerS
      ? false
      : null;
  const saturatedStep = steps.find((s) => s.target === 'http' && s.ratePerS === httpSaturatedAt);
  const goalText = goalStep
    ? `${goalMet ? 'MET' : 'NOT MET'} (p99 ${ms(goalStep.latencyMs.p99)} ms, ${goalStep.errors} errors, ` +
      `achieved ${fmt(goalStep.achievedPerS, 0)}/s)`
    : saturatedStep
      ? `NOT MET (HTTP saturated at ${fmt(httpSaturatedAt)} req/s: achieved ${fmt(saturatedStep.achievedPerS, 0)}/s, ` +
        `${saturatedStep.errors} errors; ${fmt(GOAL.ratePerS)} req/s not run)`
      : `not measured (no ${GOAL.ratePerS} req/s step)`;
  console.log(`Goal: HTTP p99 <= ${GOAL.p99Ms} ms at ${fmt(GOAL.ratePerS)} req/s: ${goalText}`);
  console.log(
    `PostgreSQL alone (EXPLAIN ANALYZE, p50 planning + execution ${fmt(plan.ceilingMsPerQuery, 2)} ms a query): ` +
      `at most about ${fmt(plan.ceilingPerS)} queries/s on ${os.cpus().length} cores.`,
  );

  const result = JSON.parse(
    JSON.stringify(
      {
        benchmark: 'nearby',
        date: startedAt.toISOString(),
        durationOfRunS: round((Date.now() - startedAt.getTime()) / 1000, 1),
        machine: info,
        parameters: {
          ...params,
          area: { centre: CENTRE, sizeKm: SIZE_KM, box: BOX },
          bookingEnv: { ...bookingEnv, DATABASE_URL: '(a fresh clone of the template)' },
          bookingNodeArgs: nodeArgs,
          bookable: {
            BOOKABLE_MIN_ENERGY_PCT: bookingConfig.BOOKABLE_MIN_ENERGY_PCT,
            BOOKABLE_MAX_FIX_AGE_S: bookingConfig.BOOKABLE_MAX_FIX_AGE_S,
          },
          redisCommand: `GEOSEARCH <key> FROMLONLAT <lon> <lat> BYRADIUS ${params.radiusM} m ASC COUNT ${params.limit} WITHDIST`,
          loadModel:
            'open loop: requests at fixed intervals, latency from the scheduled send time; points uniform in the box',
        },
        data: { ...data, redisMembers },
        crossCheck: check,
        postgresExplain: plan,
        steps,
        warmups,
        skipped,
        ratios,
        goal: {
          description: `HTTP p99 <= ${GOAL.p99Ms} ms at ${GOAL.ratePerS} req/s (no errors, rate achieved)`,
          p99Ms: goalStep?.latencyMs.p99 ?? null,
          httpSaturatedAtPerS: httpSaturatedAt ?? null,
          summary: goalText,
          goalMet,
        },
      },
      // Infinity (a failed request's latency) is not JSON: null.
      (_, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v),
    ),
  ) as object;
  await writeResult(RESULTS, result);
}

// Also imported for its helpers (populate, BOX) by ad-hoc investigations: run only as the main module.
if (require.main === module) runBenchmark(cleanup, main);
