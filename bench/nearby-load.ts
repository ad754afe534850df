/**
 * Load generator of bench/nearby.ts, run as a child process (child_process.fork) so that its CPU and
 * event loop are its own, not the benchmark's. Open loop: requests are scheduled at fixed intervals
 * (1 / rate) whatever the answers do, and each latency is measured from the request's scheduled time,
 * so a slow answer cannot hold back the next requests and hide the queueing it causes (no coordinated
 * omission). Three targets, the same query at the same points:
 * - `http`: GET /api/v1/vehicles/nearby of the booking service, over keep-alive connections;
 * - `sql`: the statement the controller runs, over a `pg` Pool (the booking service's pool size);
 * - `redis`: GEOSEARCH FROMLONLAT BYRADIUS ... m ASC COUNT ... WITHDIST on a GEO key, one connection.
 *
 * IPC (parent -> child): {cmd: 'setup', ...LoadSetup}, then {cmd: 'step', ...LoadStep} any number of
 * times, then {cmd: 'close'}.
 * IPC (child -> parent): {type: 'ready'}, {type: 'step-done', stats: StepStats}, {type: 'closed'},
 * {type: 'error', message}.
 */
import http from 'node:http';
import Redis from 'ioredis';
import { Pool } from 'pg';
import { NEARBY_SESSION_OPTIONS } from '../apps/booking/src/vehicles/nearby-sql';
import { prng, quantile, round, sleep } from './common';

export type Target = 'http' | 'sql' | 'redis';

export interface Box {
  minLat: number;
  maxLat: number;
  minLon: number;
  maxLon: number;
}

export interface LoadSetup {
  /** e.g. http://127.0.0.1:PORT (the service's base URL; the path is /api/v1/vehicles/nearby). */
  httpBase: string;
  /** Most keep-alive connections to the service; further requests wait in the agent's queue. */
  httpConnections: number;
  sqlUrl: string;
  sql: string;
  sqlPoolSize: number;
  redisUrl: string | null;
  redisKey: string;
  radiusM: number;
  limit: number;
  /** Query points are drawn uniformly in this box. */
  box: Box;
}

export interface LoadStep {
  target: Target;
  ratePerS: number;
  /** Epoch ms of the first request. */
  startAtMs: number;
  /** Seconds of load before the measured window (its requests are not counted). */
  warmupS: number;
  /** Seconds of the measured window. */
  durationS: number;
  /** Seed of the query points: the same seed gives every target the same points in the same order. */
  seed: number;
  /** Longest wait for the answers still outstanding after the last request was sent. */
  maxDrainMs: number;
  /** Requests in flight are capped at this many seconds of the rate; beyond it new ones are shed. */
  maxOutstandingS: number;
}

export interface Percentiles {
  p50: number | null;
  p90: number | null;
  p99: number | null;
  p999: number | null;
  max: number | null;
  mean: number | null;
}

export interface StepStats {
  target: Target;
  ratePerS: number;
  window: { startMs: number; endMs: number; seconds: number };
  /** Requests scheduled in the measured window, divided by its length. */
  offeredPerS: number;
  /** Successful answers that arrived inside the measured window, divided by its length. */
  achievedPerS: number;
  /** Requests scheduled in the window. */
  requests: number;
  ok: number;
  /** Requests of the window without a good answer: failed + shed + unanswered. */
  errors: number;
  /** Answered with an error (HTTP status other than 200, a driver error). */
  failed: number;
  /** Not sent because `outstandingCap` requests were already waiting (the target is far behind). */
  shed: number;
  /** Without an answer when the drain gave up. */
  unanswered: number;
  /** Up to 5 distinct error messages. */
  errorSamples: string[];
  /**
   * Latency from the scheduled send time, ms, over the window's requests; a failed or unanswered
   * request counts as slower than any answer (Infinity), so errors can only make these worse.
   */
  latencyMs: Percentiles;
  /** Latency from the actual send (service time plus client queueing in the agent/pool), answered requests. */
  latencyFromSendMs: Percentiles;
  /** How late the generator sent (actual - scheduled), ms: its own timer granularity and event-loop lag. */
  sendLagMs: Percentiles;
  /** Mean number of cars per answer. */
  meanResults: number | null;
  /** Mean answer size in bytes (HTTP body; null for the others). */
  meanResponseBytes: number | null;
  /** Largest number of requests in flight (sent or queued in the client, unanswered). */
  maxOutstanding: number;
  /** Most requests in flight before new ones are shed: maxOutstandingS seconds of the rate, at least 50. */
  outstandingCap: number;
  drainMs: number;
}

type ParentMessage = ({ cmd: 'setup' } & LoadSetup) | ({ cmd: 'step' } & LoadStep) | { cmd: 'close' };

/** Percentiles (nearest rank) of the values; Infinity sorts last and prints as null in JSON. */
export function percentiles(values: Float64Array | number[]): Percentiles {
  const n = values.length;
  if (n === 0) return { p50: null, p90: null, p99: null, p999: null, max: null, mean: null };
  const sorted = Float64Array.from(values).sort();
  const at = (q: number) => {
    const v = quantile(sorted, q)!;
    return Number.isFinite(v) ? round(v, 3) : null;
  };
  let sum = 0;
  let finite = 0;
  for (const v of sorted) {
    if (Number.isFinite(v)) {
      sum += v;
      finite++;
    }
  }
  return {
    p50: at(0.5),
    p90: at(0.9),
    p99: at(0.99),
    p999: at(0.999),
    max: at(1),
    mean: finite ? round(sum / finite, 3) : null,
  };
}

/** The Redis target's query: [id, distance in m] of the cars within `radiusM`, nearest first. */
export function geoSearch(
  redis: Redis,
  key: string,
  lat: number,
  lon: number,
  radiusM: number,
  limit: number,
): Promise<[string, string][]> {
  return redis.call(
    'GEOSEARCH',
    key,
    'FROMLONLAT',
    lon,
    lat,
    'BYRADIUS',
    radiusM,
    'm',
    'ASC',
    'COUNT',
    limit,
    'WITHDIST',
  ) as Promise<[string, string][]>;
}

/** One query: resolves with the number of cars in the answer and the answer's size (bytes, or 0). */
type Query = (lat: number, lon: number) => Promise<{ results: number; bytes: number }>;

class Generator {
  private pool: Pool | null = null;
  private redis: Redis | null = null;

  constructor(private readonly setup: LoadSetup) {}

  async open(): Promise<void> {
    this.pool = new Pool({
      connectionString: this.setup.sqlUrl,
      max: this.setup.sqlPoolSize,
      application_name: 'fleet-bench-sql',
      options: NEARBY_SESSION_OPTIONS,
    });
    if (this.setup.redisUrl) {
      this.redis = new Redis(this.setup.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
      await this.redis.connect();
    }
  }

  async close(): Promise<void> {
    await this.pool?.end();
    this.redis?.disconnect();
  }

  private httpQuery(agent: http.Agent): Query {
    const { httpBase, radiusM, limit } = this.setup;
    const base = new URL(httpBase);
    return (lat, lon) =>
      new Promise((resolve, reject) => {
        const req = http.get(
          {
            agent,
            host: base.hostname,
            port: base.port,
            path: `/api/v1/vehicles/nearby?lat=${lat.toFixed(6)}&lon=${lon.toFixed(6)}&radius=${radiusM}&limit=${limit}`,
          },
          (res) => {
            let bytes = 0;
            let count = 0;
            res.on('data', (chunk: Buffer) => {
              bytes += chunk.length;
              // Cars in the answer, without parsing it: each has exactly one "plate" key.
              for (let i = chunk.indexOf('"plate"'); i !== -1; i = chunk.indexOf('"plate"', i + 7)) count++;
            });
            res.on('end', () => {
              if (res.statusCode === 200) resolve({ results: count, bytes });
              else reject(new Error(`HTTP ${res.statusCode}`));
            });
            res.on('error', reject);
          },
        );
        req.on('error', reject);
      });
  }

  private sqlQuery(): Query {
    const { sql, radiusM, limit } = this.setup;
    const pool = this.pool!;
    return async (lat, lon) => {
      const { rows } = await pool.query({ name: 'nearby', text: sql, values: [lat, lon, radiusM, limit] });
      return { results: rows.length, bytes: 0 };
    };
  }

  private redisQuery(): Query {
    const { redisKey, radiusM, limit } = this.setup;
    const redis = this.redis;
    if (!redis) throw new Error('no Redis configured');
    return async (lat, lon) => {
      const answer = await geoSearch(redis, redisKey, lat, lon, radiusM, limit);
      return { results: answer.length, bytes: 0 };
    };
  }

  async step(s: LoadStep): Promise<StepStats> {
    const agent = new http.Agent({ keepAlive: true, maxSockets: this.setup.httpConnections });
    try {
      const query =
        s.target === 'http'
          ? this.httpQuery(agent)
          : s.target === 'sql'
            ? this.sqlQuery()
            : this.redisQuery();
      return await this.run(s, query);
    } finally {
      agent.destroy();
    }
  }

  private async run(s: LoadStep, query: Query): Promise<StepStats> {
    const { box } = this.setup;
    const random = prng(s.seed);
    const intervalMs = 1000 / s.ratePerS;
    const total = Math.round((s.warmupS + s.durationS) * s.ratePerS);
    const firstMeasured = Math.round(s.warmupS * s.ratePerS);
    const maxOutstanding = Math.max(50, Math.round(s.ratePerS * s.maxOutstandingS));
    // performance.now() of the epoch time startAtMs: monotonic clock from here on.
    const t0 = s.startAtMs - performance.timeOrigin;
    const windowStart = t0 + firstMeasured * intervalMs;
    const windowEnd = t0 + total * intervalMs;
    const scheduled = (i: number) => t0 + i * intervalMs;

    const PENDING = 0;
    const OK = 1;
    const FAILED = 2;
    const SHED = 3;
    const status = new Uint8Array(total);
    const doneAt = new Float64Array(total);
    const sentAt = new Float64Array(total);
    const results = new Float64Array(total);
    const bytes = new Float64Array(total);
    const errorSamples = new Set<string>();
    let outstanding = 0;
    let peakOutstanding = 0;
    let next = 0;
    let finished = 0;
    let allSent!: () => void;
    const sendingDone = new Promise<void>((r) => (allSent = r));

    const fire = (i: number) => {
      const lat = box.minLat + random() * (box.maxLat - box.minLat);
      const lon = box.minLon + random() * (box.maxLon - box.minLon);
      if (outstanding >= maxOutstanding) {
        // The target is far behind: shed rather than queue without bound (counted as failed).
        status[i] = SHED;
        finished++;
        return;
      }
      sentAt[i] = performance.now();
      outstanding++;
      if (outstanding > peakOutstanding) peakOutstanding = outstanding;
      query(lat, lon).then(
        (r) => {
          doneAt[i] = performance.now();
          status[i] = OK;
          results[i] = r.results;
          bytes[i] = r.bytes;
          outstanding--;
          finished++;
        },
        (err: Error) => {
          doneAt[i] = performance.now();
          status[i] = FAILED;
          if (errorSamples.size < 5) errorSamples.add(err.message);
          outstanding--;
          finished++;
        },
      );
    };

    // Sends every request whose time has come, then sleeps until the next one is due (Node's timers
    // have 1 ms granularity, so at 1,000 req/s and above a tick sends one or a few requests).
    const tick = () => {
      const now = performance.now();
      while (next < total && scheduled(next) <= now) fire(next++);
      if (next < total) setTimeout(tick, Math.max(0, scheduled(next) - performance.now()));
      else allSent();
    };
    setTimeout(tick, Math.max(0, t0 - performance.now()));
    await sendingDone;

    const drainStart = performance.now();
    while (finished < total && performance.now() - drainStart < s.maxDrainMs) await sleep(5);
    const drainMs = performance.now() - drainStart;

    const n = total - firstMeasured;
    const lat = new Float64Array(n);
    const fromSend: number[] = [];
    const lag: number[] = [];
    const count = [0, 0, 0, 0];
    let achieved = 0;
    let resultSum = 0;
    let byteSum = 0;
    for (let i = firstMeasured, k = 0; i < total; i++, k++) {
      count[status[i]]++;
      if (status[i] !== SHED) lag.push(sentAt[i] - scheduled(i));
      if (status[i] === OK) {
        lat[k] = doneAt[i] - scheduled(i);
        fromSend.push(doneAt[i] - sentAt[i]);
        resultSum += results[i];
        byteSum += bytes[i];
      } else {
        lat[k] = Infinity;
      }
    }
    for (let i = 0; i < total; i++) {
      if (status[i] === OK && doneAt[i] >= windowStart && doneAt[i] < windowEnd) achieved++;
    }
    if (count[SHED]) errorSamples.add(`shed: ${maxOutstanding} requests outstanding`);
    const ok = count[OK];
    const seconds = (windowEnd - windowStart) / 1000;
    return {
      target: s.target,
      ratePerS: s.ratePerS,
      window: {
        startMs: round(performance.timeOrigin + windowStart, 0),
        endMs: round(performance.timeOrigin + windowEnd, 0),
        seconds: round(seconds, 3),
      },
      offeredPerS: round(n / seconds, 1),
      achievedPerS: round(achieved / seconds, 1),
      requests: n,
      ok,
      errors: n - ok,
      failed: count[FAILED],
      shed: count[SHED],
      unanswered: count[PENDING],
      errorSamples: [...errorSamples],
      latencyMs: percentiles(lat),
      latencyFromSendMs: percentiles(fromSend),
      sendLagMs: percentiles(lag),
      meanResults: ok ? round(resultSum / ok, 2) : null,
      meanResponseBytes: s.target === 'http' && ok ? round(byteSum / ok, 0) : null,
      maxOutstanding: peakOutstanding,
      outstandingCap: maxOutstanding,
      drainMs: round(drainMs, 0),
    };
  }
}

if (require.main === module) {
  let generator: Generator | null = null;
  const send = (m: unknown) => process.send?.(m);
  process.on('message', (m: ParentMessage) => {
    void (async () => {
      try {
        if (m.cmd === 'setup') {
          generator = new Generator(m);
          await generator.open();
          send({ type: 'ready' });
        } else if (m.cmd === 'step') {
          if (!generator) throw new Error('step before setup');
          send({ type: 'step-done', stats: await generator.step(m) });
        } else if (m.cmd === 'close') {
          await generator?.close();
          send({ type: 'closed' });
          process.disconnect?.();
        }
      } catch (err) {
        send({ type: 'error', message: (err as Error).stack ?? (err as Error).message });
      }
    })();
  });
  process.on('disconnect', () => setTimeout(() => process.exit(0), 100).unref());
}
