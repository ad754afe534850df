/**
 * Ingest benchmark (`npm run bench:ingest`): simulated cars publish single-sample telemetry (QoS 1)
 * through a Mosquitto of our own at a fixed rate; the built telemetry gateway stores it. Prints the
 * sustained stored samples/s, publish-to-commit latency (p50/p99, computed in SQL), the CPU of the
 * gateway (and of Mosquitto, PostgreSQL, the publishers), then runs the same load against a naive
 * consumer (bench/naive-consumer.ts: one INSERT and one UPSERT per sample, in turn) and prints the
 * ratio. Results: stdout and bench/results/ingest.json. See bench/README.md.
 *
 * Settings (environment): BENCH_RATE (msg/s, 11000: 10 % above the goal, so that a sustained 10,000/s
 * can show), BENCH_VEHICLES (11000), BENCH_DURATION_S (60),
 * BENCH_WARMUP_S (10), BENCH_PUBLISHERS (processes, 2), BENCH_PUBLISHER_CONNECTIONS (per process, 4),
 * BENCH_MAX_INFLIGHT (per connection, 100), BENCH_TICK_MS (20), BENCH_POLL_MS (10), BENCH_DRAIN_S (20),
 * BENCH_GATEWAY_CONNECTIONS (comma list: one gateway run per value; default GATEWAY_MQTT_CONNECTIONS or
 * 512), BENCH_NAIVE (1; 0 skips the baseline), BENCH_GATEWAY_NODE_OPTIONS (NODE_OPTIONS of the gateway,
 * e.g. a profiler hook). Any other GATEWAY_* / INGEST_* variable is passed on to the gateway.
 */
import {
  createTestDatabase,
  freePort,
  insertVehicles,
  MosquittoInstance,
  prepareTemplateDatabase,
  ServiceProcess,
  startMosquitto,
  startService,
  TestDatabase,
  waitFor,
} from '@fleet/testing';
import type { ChildProcess } from 'node:child_process';
import os from 'node:os';
import { resolve } from 'node:path';
import { serviceClientId } from '@fleet/messaging';
import mqtt from 'mqtt';
import { Client } from 'pg';
import { GatewayConfig } from '../apps/telemetry-gateway/src/config/gateway.config';
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
  round,
  runBenchmark,
  sleep,
  sleepUntil,
  writeResult,
} from './common';
import type { NaiveStats } from './naive-consumer';
import { allProcesses, cpuReport, cpuSnapshot } from './proc';
import { PublisherStats, startPublishers } from './publisher';

const RESULTS = resolve(__dirname, 'results/ingest.json');
const TOPIC_PREFIX = 'fleet/v1';
const PROBE_VEHICLE = 'BPROBE';

// ---------------------------------------------------------------------------------------------------
// Parameters

const gatewayDefaults = new GatewayConfig();

const params = {
  ratePerS: intEnv('BENCH_RATE', 11_000),
  vehicles: intEnv('BENCH_VEHICLES', 11_000),
  durationS: intEnv('BENCH_DURATION_S', 60),
  warmupS: intEnv('BENCH_WARMUP_S', 10, 0),
  publisherProcesses: intEnv('BENCH_PUBLISHERS', 2),
  connectionsPerPublisher: intEnv('BENCH_PUBLISHER_CONNECTIONS', 4),
  maxInflightPerConnection: intEnv('BENCH_MAX_INFLIGHT', 100),
  tickMs: intEnv('BENCH_TICK_MS', 20),
  pollMs: intEnv('BENCH_POLL_MS', 10),
  maxDrainS: intEnv('BENCH_DRAIN_S', 20),
  naive: process.env.BENCH_NAIVE !== '0',
  gatewayConnections: (
    process.env.BENCH_GATEWAY_CONNECTIONS ??
    process.env.GATEWAY_MQTT_CONNECTIONS ??
    String(gatewayDefaults.GATEWAY_MQTT_CONNECTIONS)
  )
    .split(',')
    .map((s) => Number(s.trim())),
  gatewayDbPoolSize: intEnv('GATEWAY_DB_POOL_SIZE', gatewayDefaults.GATEWAY_DB_POOL_SIZE, 2),
  ingestMaxBatchSamples: intEnv('INGEST_MAX_BATCH_SAMPLES', gatewayDefaults.INGEST_MAX_BATCH_SAMPLES),
  ingestCommitConcurrency: intEnv('INGEST_COMMIT_CONCURRENCY', gatewayDefaults.INGEST_COMMIT_CONCURRENCY),
};
if (params.gatewayConnections.some((n) => !Number.isInteger(n) || n < 1)) {
  throw new Error(
    `BENCH_GATEWAY_CONNECTIONS=${process.env.BENCH_GATEWAY_CONNECTIONS}: expected integers >= 1`,
  );
}
const carPeriodS = params.vehicles / params.ratePerS;

// ---------------------------------------------------------------------------------------------------
// Clean-up: everything started is registered here and torn down in reverse order, also on error or signal.

const rootCleanup = new Cleanup();

// ---------------------------------------------------------------------------------------------------
// Gateway metrics (Prometheus text) at the window's edges

async function scrapeMetrics(baseUrl: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    values.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return values;
}

function metricsReport(a: Map<string, number>, b: Map<string, number>, windowS: number) {
  const d = (key: string) => (b.get(key) ?? 0) - (a.get(key) ?? 0);
  const commits = d('fleet_telemetry_commit_seconds_count');
  const commitBuckets: Record<string, number> = {};
  for (const key of b.keys()) {
    const m = /^fleet_telemetry_commit_seconds_bucket\{le="([^"]+)"\}$/.exec(key);
    if (m) commitBuckets[m[1]] = d(key);
  }
  return {
    commitsPerS: round(commits / windowS, 1),
    meanSamplesPerCommit: commits ? round(d('fleet_telemetry_batch_samples_sum') / commits, 1) : null,
    meanCommitMs: commits ? round((d('fleet_telemetry_commit_seconds_sum') / commits) * 1000, 2) : null,
    commitBusyPct: round((d('fleet_telemetry_commit_seconds_sum') / windowS) * 100, 1),
    meanReceiveToAckMs: d('fleet_telemetry_receive_to_ack_seconds_count')
      ? round(
          (d('fleet_telemetry_receive_to_ack_seconds_sum') /
            d('fleet_telemetry_receive_to_ack_seconds_count')) *
            1000,
          2,
        )
      : null,
    commitFailures: d('fleet_telemetry_commit_failures_total'),
    duplicates: d('fleet_telemetry_duplicates_total'),
    pendingMessagesAtEnd: b.get('fleet_telemetry_pending_messages') ?? null,
    /** Commits in the window by duration, cumulative (Prometheus buckets, seconds). */
    commitSecondsBuckets: commitBuckets,
  };
}

// ---------------------------------------------------------------------------------------------------
// Visibility poller: when did each transaction become visible? Every BENCH_POLL_MS the benchmark takes
// the server's current snapshot (pg_current_snapshot) and notes the server time. A history row became
// visible at the first snapshot that sees its inserting transaction (xmin), an upper bound of its commit
// time by at most one poll period plus the poll's round trip.

class SnapshotPoller {
  readonly times: number[] = [];
  readonly snapshots: string[] = [];
  private running = true;
  private loop: Promise<void> | null = null;
  private readonly client: Client;

  constructor(
    url: string,
    private readonly periodMs: number,
  ) {
    this.client = new Client({ connectionString: url, application_name: 'bench-poller' });
  }

  async start(): Promise<void> {
    await this.client.connect();
    this.loop = (async () => {
      let next = Date.now();
      while (this.running) {
        const { rows } = await this.client.query<{ t: number; s: string }>(
          `SELECT extract(epoch FROM clock_timestamp())::float8 * 1000 AS t, pg_current_snapshot()::text AS s`,
        );
        this.times.push(rows[0].t);
        this.snapshots.push(rows[0].s);
        next += this.periodMs;
        if (next < Date.now()) next = Date.now();
        await sleepUntil(next);
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    await this.client.end();
  }
}

// ---------------------------------------------------------------------------------------------------
// Statistics, computed in SQL on the bench database

async function historyStats(db: Client, poller: SnapshotPoller, t0: number, t1: number) {
  await db.query(
    `CREATE TABLE bench_snapshots (t timestamptz NOT NULL, snap_xmax bigint NOT NULL, snap pg_snapshot NOT NULL)`,
  );
  await db.query(
    `INSERT INTO bench_snapshots
     SELECT to_timestamp(u.t / 1000), pg_snapshot_xmax(u.s::pg_snapshot)::text::bigint, u.s::pg_snapshot
       FROM unnest($1::float8[], $2::text[]) AS u(t, s)`,
    [poller.times, poller.snapshots],
  );
  await db.query(`CREATE INDEX ON bench_snapshots (snap_xmax, t)`);
  await db.query(`ANALYZE bench_snapshots`);
  // Rows with their inserting transaction as a 64-bit id (xmin is 32 bits: extend it with the current
  // epoch), and the time each transaction first appeared committed in a polled snapshot.
  await db.query(`
    CREATE TEMP TABLE bench_rows AS
    WITH cur AS (SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint AS x),
    r AS (
      SELECT t.fix_at, t.received_at,
             cur.x - (((cur.x & 4294967295) - t.xmin::text::bigint + 4294967296) % 4294967296) AS xid
        FROM telemetry t, cur
       WHERE t.vehicle_id <> '${PROBE_VEHICLE}'
    ),
    vis AS (
      SELECT tx.xid,
             (SELECT s.t FROM bench_snapshots s
               WHERE s.snap_xmax > tx.xid AND pg_visible_in_snapshot(tx.xid::text::xid8, s.snap)
               ORDER BY s.snap_xmax, s.t LIMIT 1) AS visible_at
        FROM (SELECT DISTINCT xid FROM r) tx
    )
    SELECT r.fix_at, r.received_at, r.xid, vis.visible_at FROM r JOIN vis USING (xid)`);
  const window = [new Date(t0), new Date(t1)];
  const {
    rows: [s],
  } = await db.query<{
    stored_total: number;
    stored_in_window: number;
    commits_in_window: number;
    stored_in_window_by_tx_start: number;
    stored_of_window: number;
    unseen_of_window: number;
    visible_pct: number[] | null;
    visible_max: number | null;
    visible_mean: number | null;
    txstart_pct: number[] | null;
    committed_pct: number[] | null;
  }>(
    `SELECT count(*)::int AS stored_total,
            count(*) FILTER (WHERE visible_at >= $1 AND visible_at < $2)::int AS stored_in_window,
            count(DISTINCT xid) FILTER (WHERE visible_at >= $1 AND visible_at < $2)::int AS commits_in_window,
            count(*) FILTER (WHERE received_at >= $1 AND received_at < $2)::int AS stored_in_window_by_tx_start,
            count(*) FILTER (WHERE fix_at >= $1 AND fix_at < $2)::int AS stored_of_window,
            count(*) FILTER (WHERE fix_at >= $1 AND fix_at < $2 AND visible_at IS NULL)::int AS unseen_of_window,
            percentile_cont(ARRAY[0.5, 0.99]) WITHIN GROUP (ORDER BY extract(epoch FROM visible_at - fix_at) * 1000)
              FILTER (WHERE fix_at >= $1 AND fix_at < $2) AS visible_pct,
            max(extract(epoch FROM visible_at - fix_at) * 1000) FILTER (WHERE fix_at >= $1 AND fix_at < $2)::float8
              AS visible_max,
            avg(extract(epoch FROM visible_at - fix_at) * 1000) FILTER (WHERE fix_at >= $1 AND fix_at < $2)::float8
              AS visible_mean,
            percentile_cont(ARRAY[0.5, 0.99]) WITHIN GROUP (ORDER BY extract(epoch FROM received_at - fix_at) * 1000)
              FILTER (WHERE fix_at >= $1 AND fix_at < $2) AS txstart_pct,
            percentile_cont(ARRAY[0.5, 0.99]) WITHIN GROUP (ORDER BY extract(epoch FROM visible_at - fix_at) * 1000)
              FILTER (WHERE visible_at >= $1 AND visible_at < $2) AS committed_pct
       FROM bench_rows`,
    window,
  );
  // Stored samples per second of the window, to show that the rate held (not a burst and a stall).
  const seconds = Math.round((t1 - t0) / 1000);
  const { rows: bySecond } = await db.query<{ i: number; n: number }>(
    `SELECT floor(extract(epoch FROM visible_at - $1::timestamptz))::int AS i, count(*)::int AS n
       FROM bench_rows WHERE visible_at >= $1 AND visible_at < $2 GROUP BY 1`,
    window,
  );
  const perSecond = Array.from({ length: seconds }, (_, i) => bySecond.find((r) => r.i === i)?.n ?? 0);
  const { rows: quarantine } = await db.query<{ reason: string; n: number }>(
    `SELECT reason, count(*)::int AS n FROM telemetry_quarantine GROUP BY reason ORDER BY reason`,
  );
  // The latest-state table takes one non-HOT update per sample (its indexed position changes).
  const {
    rows: [vehicleState],
  } = await db.query<{ live: number; dead: number; autovacuums: number; bytes: number }>(
    `SELECT n_live_tup::int AS live, n_dead_tup::int AS dead, autovacuum_count::int AS autovacuums,
            pg_total_relation_size('vehicle_state')::float8 AS bytes
       FROM pg_stat_user_tables WHERE relname = 'vehicle_state'`,
  );
  // Deadlocks between the consumer's own transactions (the database is this phase's alone).
  const {
    rows: [{ deadlocks }],
  } = await db.query<{ deadlocks: number }>(
    `SELECT deadlocks::int AS deadlocks FROM pg_stat_database WHERE datname = current_database()`,
  );
  return { ...s, perSecond, quarantine, vehicleState, deadlocks };
}

// ---------------------------------------------------------------------------------------------------
// One phase: a fresh Mosquitto and database, a consumer (the gateway or the naive one), the load.

type ConsumerKind = 'gateway' | 'naive';

interface PhaseOptions {
  kind: ConsumerKind;
  label: string;
  gatewayConnections?: number;
}

function vehicleIds(): string[] {
  return Array.from({ length: params.vehicles }, (_, i) => `BV${String(i).padStart(6, '0')}`);
}

async function runPhase(o: PhaseOptions) {
  const scope = new Cleanup();
  rootCleanup.add(`phase ${o.label}`, () => scope.run());
  try {
    return await phase(o, scope);
  } finally {
    await scope.run();
  }
}

async function phase(o: PhaseOptions, scope: Cleanup) {
  log(`phase ${o.label}: starting Mosquitto and a fresh database`);
  const mosquitto: MosquittoInstance = await startMosquitto();
  scope.add('mosquitto', () => mosquitto.stop());
  const db: TestDatabase = await createTestDatabase();
  scope.add(`database ${db.name}`, () => db.drop());

  const ids = vehicleIds();
  const electric = ids.map((_, i) => i % 2 === 0);
  await insertVehicles(
    db.client,
    ids.filter((_, i) => electric[i]),
    'electric',
  );
  await insertVehicles(
    db.client,
    ids.filter((_, i) => !electric[i]),
    'combustion',
  );
  await insertVehicles(db.client, [PROBE_VEHICLE], 'electric');
  await db.client.query(`ANALYZE`);

  // The consumer
  let consumerPid: number;
  let gateway: ServiceProcess | null = null;
  let naive: ChildProcess | null = null;
  let gatewayEnv: Record<string, string> | null = null;
  if (o.kind === 'gateway') {
    gatewayEnv = {
      DATABASE_URL: db.url,
      MQTT_URL: mosquitto.url,
      LOG_LEVEL: 'warn',
      GATEWAY_INSTANCE_ID: 'bench',
      GATEWAY_MQTT_CONNECTIONS: String(o.gatewayConnections),
      GATEWAY_DB_POOL_SIZE: String(params.gatewayDbPoolSize),
      INGEST_MAX_BATCH_SAMPLES: String(params.ingestMaxBatchSamples),
      INGEST_COMMIT_CONCURRENCY: String(params.ingestCommitConcurrency),
      // e.g. `--require <profiler hook>`; for investigations, off by default
      ...(process.env.BENCH_GATEWAY_NODE_OPTIONS
        ? { NODE_OPTIONS: process.env.BENCH_GATEWAY_NODE_OPTIONS }
        : {}),
    };
    const g = await startService(
      'telemetry-gateway',
      await freePort(),
      gatewayEnv,
      60_000,
      SERVICE_NODE_ARGS['telemetry-gateway'],
    );
    gateway = g;
    scope.add('gateway', () => killService(g));
    consumerPid = g.child.pid!;
  } else {
    const n = forkTs('naive-consumer.ts', { MQTT_URL: mosquitto.url, DATABASE_URL: db.url });
    naive = n;
    scope.add('naive consumer', () => killChild(n));
    await nextMessage(n, 'ready', 30_000);
    consumerPid = n.pid!;
  }
  const mosquittoPid = allProcesses().find((p) => p.ppid === process.pid && p.comm === 'mosquitto')?.pid;

  // A probe sample end to end: the consumer is subscribed and storing before the load starts.
  const probe = mqtt.connect(mosquitto.url, { clientId: 'bench-probe', protocolVersion: 4 });
  scope.add('probe client', () => probe.endAsync(true));
  await new Promise<void>((r) => probe.once('connect', () => r()));
  // The broker's own counters ($SYS, every sys_interval = 10 s): messages it dropped, and messages it
  // holds (queued for sessions, plus some of its own).
  let brokerDropped: number | null = null;
  let brokerStore: { value: number; atMs: number } | null = null;
  probe.on('message', (topic, payload) => {
    if (topic === '$SYS/broker/publish/messages/dropped') brokerDropped = Number(payload.toString());
    if (topic === '$SYS/broker/store/messages/count')
      brokerStore = { value: Number(payload.toString()), atMs: Date.now() };
  });
  await probe.subscribeAsync(['$SYS/broker/publish/messages/dropped', '$SYS/broker/store/messages/count'], {
    qos: 0,
  });
  await probe.publishAsync(
    `${TOPIC_PREFIX}/vehicles/${PROBE_VEHICLE}/telemetry`,
    JSON.stringify({ ts: Date.now(), lat: 52.52, lon: 13.405, locked: true, seq: 0 }),
    { qos: 1 },
  );
  await waitFor(
    async () =>
      (await db.client.query(`SELECT 1 FROM telemetry WHERE vehicle_id = $1`, [PROBE_VEHICLE])).rowCount,
    30_000,
    `the probe sample stored by the ${o.kind} consumer`,
  );

  const poller = new SnapshotPoller(db.url, params.pollMs);
  await poller.start();
  scope.add('poller', () => poller.stop());

  // The publishers, each with its share of the cars and of the rate (every car reports every carPeriodS).
  const publishers = await startPublishers(
    {
      url: mosquitto.url,
      topicPrefix: TOPIC_PREFIX,
      vehicleIds: ids,
      electric,
      ratePerS: params.ratePerS,
      processes: params.publisherProcesses,
      tickMs: params.tickMs,
      connections: params.connectionsPerPublisher,
      maxInflightPerConnection: params.maxInflightPerConnection,
      clientIdPrefix: 'bench-pub',
    },
    scope,
  );

  const startAt = Date.now() + 300;
  for (const c of publishers) c.send({ cmd: 'go', atMs: startAt });
  const t0 = startAt + params.warmupS * 1000;
  const t1 = t0 + params.durationS * 1000;
  log(
    `phase ${o.label}: publishing ${params.ratePerS} msg/s from ${params.vehicles} cars ` +
      `(${publishers.length} processes x ${params.connectionsPerPublisher} connections); warm-up ${params.warmupS} s, ` +
      `measuring ${params.durationS} s`,
  );

  await sleepUntil(t0);
  const backendPids = (
    await db.client.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1`,
      [o.kind === 'gateway' ? 'fleet-gateway' : 'bench-naive'],
    )
  ).rows.map((r) => r.pid);
  const metricsStart = gateway ? await scrapeMetrics(gateway.baseUrl) : null;
  const cpuStart = cpuSnapshot();
  const storedAtT0 = await countStored(db.client);
  await sleepUntil(t1);
  const cpuEnd = cpuSnapshot();
  const metricsEnd = gateway ? await scrapeMetrics(gateway.baseUrl) : null;
  const storedAtT1 = await countStored(db.client);
  log(
    `phase ${o.label}: window over (${storedAtT1 - storedAtT0} samples stored in it); stopping the publishers`,
  );

  const done = publishers.map((c) => nextMessage(c, 'done', 30_000));
  for (const c of publishers) c.send({ cmd: 'stop' });
  const pubStats = (await Promise.all(done)).map((m) => m.stats as PublisherStats);
  const published = pubStats.reduce((s, p) => s + p.published, 0);
  const acked = pubStats.reduce((s, p) => s + p.acked, 0);

  // Drain: the gateway must store everything the broker accepted; the naive consumer is stopped as it is.
  let drainMs: number | null = null;
  let naiveStats: NaiveStats | null = null;
  const drainStart = Date.now();
  if (o.kind === 'gateway') {
    let last = -1;
    let lastChange = Date.now();
    for (;;) {
      const n = (await countStored(db.client)) + (await countQuarantined(db.client));
      if (n >= acked) {
        drainMs = Date.now() - drainStart;
        break;
      }
      if (n !== last) {
        last = n;
        lastChange = Date.now();
      }
      if (Date.now() - lastChange > 10_000 || Date.now() - drainStart > params.maxDrainS * 1000) break;
      // At the rate it stored in the window, the backlog cannot be worked off in the time left: stop waiting.
      const leftS = params.maxDrainS - (Date.now() - drainStart) / 1000;
      if ((acked - n) / Math.max(1, (storedAtT1 - storedAtT0) / params.durationS) > 1.5 * leftS) break;
      await sleep(100);
    }
    await sleep(3 * params.pollMs + 50); // the poller sees the last commit
  } else {
    const done = nextMessage(naive!, 'done', 10_000);
    naive!.send({ cmd: 'stop' });
    naiveStats = (await done).stats as NaiveStats;
  }
  await poller.stop();
  if (gateway) await killService(gateway);
  if (naive) await killChild(naive);

  // Not drained (the gateway fell behind): what it has not stored must still be queued in its persistent
  // sessions. With the gateway stopped the queue stands still. Mosquitto publishes $SYS values every
  // sys_interval (10 s) when they changed, so the last one received 11 s later is current. The broker's
  // store also holds a few messages of its own: the queue is the drop when the sessions are discarded.
  let queuedInBroker: number | null = null;
  if (gateway && drainMs === null) {
    log(`phase ${o.label}: not drained; counting what is still queued for the gateway in the broker (22 s)`);
    await sleep(11_000);
    const withSessions = brokerStore!.value;
    await discardSessions(mosquitto.url, o.gatewayConnections!);
    await sleep(11_000);
    queuedInBroker = withSessions - brokerStore!.value;
  }

  log(`phase ${o.label}: computing statistics`);
  const stats = await historyStats(db.client, poller, t0, t1);
  const windowS = (t1 - t0) / 1000;
  const quarantined = stats.quarantine.reduce((s, q) => s + q.n, 0);
  const publishedInWindow = pubStats.reduce(
    (s, p) =>
      s + p.perSecond.slice(params.warmupS, params.warmupS + params.durationS).reduce((a, b) => a + b, 0),
    0,
  );
  const cpu = cpuReport(cpuStart, cpuEnd, {
    consumer: [consumerPid],
    consumerBackends: backendPids,
    mosquitto: mosquittoPid ? [mosquittoPid] : [],
    publishers: publishers.map((c) => c.pid!),
    benchMain: [process.pid],
  });
  const storedPerSecond = stats.perSecond;
  const unstored = acked - stats.stored_total - quarantined;
  return {
    label: o.label,
    consumer: o.kind,
    gatewayEnv: gatewayEnv
      ? {
          GATEWAY_MQTT_CONNECTIONS: Number(gatewayEnv.GATEWAY_MQTT_CONNECTIONS),
          GATEWAY_DB_POOL_SIZE: Number(gatewayEnv.GATEWAY_DB_POOL_SIZE),
          INGEST_MAX_BATCH_SAMPLES: Number(gatewayEnv.INGEST_MAX_BATCH_SAMPLES),
          INGEST_COMMIT_CONCURRENCY: Number(gatewayEnv.INGEST_COMMIT_CONCURRENCY),
          LOG_LEVEL: 'warn',
        }
      : null,
    window: { start: new Date(t0).toISOString(), end: new Date(t1).toISOString(), seconds: windowS },
    offeredPerS: round(publishedInWindow / windowS, 1),
    storedPerS: round(stats.stored_in_window / windowS, 1),
    storedPerSByTxStart: round(stats.stored_in_window_by_tx_start / windowS, 1),
    storedPerSecondMin: Math.min(...storedPerSecond),
    storedPerSecondMax: Math.max(...storedPerSecond),
    storedPerSecond,
    commitsInWindow: stats.commits_in_window,
    meanSamplesPerTransaction: stats.commits_in_window
      ? round(stats.stored_in_window / stats.commits_in_window, 1)
      : null,
    latencyMs: {
      method:
        'publish-to-visible: first polled pg_current_snapshot() that sees the row inserting transaction (xmin), ' +
        `minus ts (publish time); polls every ${params.pollMs} ms, so an upper bound by <= one poll period + round trip`,
      p50: roundOrNull(stats.visible_pct?.[0]),
      p99: roundOrNull(stats.visible_pct?.[1]),
      mean: roundOrNull(stats.visible_mean),
      max: roundOrNull(stats.visible_max),
      samples: stats.stored_of_window - stats.unseen_of_window,
      publishedInWindow,
      notStoredOfWindow: publishedInWindow - stats.stored_of_window,
      unseenByPoller: stats.unseen_of_window,
      toTransactionStartP50: roundOrNull(stats.txstart_pct?.[0]),
      toTransactionStartP99: roundOrNull(stats.txstart_pct?.[1]),
      /** Over the rows committed in the window instead (whenever published): what a backlog adds. */
      ofCommittedInWindowP50: roundOrNull(stats.committed_pct?.[0]),
      ofCommittedInWindowP99: roundOrNull(stats.committed_pct?.[1]),
    },
    cpuPctOfOneCore: cpu,
    gatewayMetrics: metricsStart && metricsEnd ? metricsReport(metricsStart, metricsEnd, windowS) : null,
    naiveStats,
    vehicleStateTableAtEnd: stats.vehicleState,
    deadlocks: stats.deadlocks,
    totals: {
      published,
      ackedByBroker: acked,
      publishErrors: pubStats.reduce((s, p) => s + p.errors, 0),
      stored: stats.stored_total,
      quarantined,
      quarantineByReason: stats.quarantine,
      /** Acknowledged by the broker, neither stored nor quarantined, nor still queued in the broker. */
      lost: o.kind === 'gateway' ? unstored - (queuedInBroker ?? 0) : null,
      /** Exact when the gateway drained (queue empty); from the broker's $SYS store count otherwise (+-a few). */
      lostExact: o.kind === 'gateway' ? drainMs !== null : null,
      unstoredAtEnd: unstored,
      queuedInBrokerAtEnd: queuedInBroker,
      backlogAtStop: o.kind === 'naive' ? unstored : null,
      drainMs,
      brokerDroppedLastSys: brokerDropped,
    },
    publishers: {
      processes: publishers.length,
      connectionsEach: params.connectionsPerPublisher,
      maxBacklog: Math.max(...pubStats.map((p) => p.maxBacklog)),
      lateTicks: pubStats.reduce((s, p) => s + p.lateTicks, 0),
      meanPayloadBytes: round(pubStats.reduce((s, p) => s + p.meanPayloadBytes, 0) / pubStats.length, 1),
    },
  };
}

type PhaseResult = Awaited<ReturnType<typeof phase>>;

/** Ends the gateway's persistent telemetry sessions (clean start on their client ids), dropping their queues. */
async function discardSessions(url: string, connections: number): Promise<void> {
  for (let i = 0; i < connections; i += 100) {
    await Promise.all(
      Array.from({ length: Math.min(100, connections - i) }, async (_, k) => {
        const c = await mqtt.connectAsync(url, {
          clientId: serviceClientId(`gw-bench-t${i + k}`),
          protocolVersion: 5,
          clean: true,
          reconnectPeriod: 0,
          properties: { sessionExpiryInterval: 0 },
        });
        await c.endAsync();
      }),
    );
  }
}

async function countStored(db: Client): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM telemetry WHERE vehicle_id <> '${PROBE_VEHICLE}'`,
  );
  return rows[0].n;
}

async function countQuarantined(db: Client): Promise<number> {
  const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM telemetry_quarantine`);
  return rows[0].n;
}

function roundOrNull(x: number | null | undefined, digits = 1): number | null {
  return x === null || x === undefined ? null : round(Number(x), digits);
}

// ---------------------------------------------------------------------------------------------------
// Output

function phaseRows(phases: PhaseResult[], ratios: (number | null)[]): string[][] {
  return [
    ['consumer', ...phases.map((p) => p.label)],
    ['offered (published) msg/s', ...phases.map((p) => fmt(p.offeredPerS))],
    ['stored samples/s (sustained)', ...phases.map((p) => fmt(p.storedPerS))],
    [
      '  per-second min / max',
      ...phases.map((p) => `${fmt(p.storedPerSecondMin)} / ${fmt(p.storedPerSecondMax)}`),
    ],
    ['publish->commit p50 ms', ...phases.map((p) => fmt(p.latencyMs.p50, 1))],
    ['publish->commit p99 ms', ...phases.map((p) => fmt(p.latencyMs.p99, 1))],
    ['publish->commit max ms', ...phases.map((p) => fmt(p.latencyMs.max, 1))],
    [
      '  p50 / p99 of rows committed',
      ...phases.map(
        (p) => `${fmt(p.latencyMs.ofCommittedInWindowP50)} / ${fmt(p.latencyMs.ofCommittedInWindowP99)}`,
      ),
    ],
    ['  of window msgs not stored', ...phases.map((p) => fmt(p.latencyMs.notStoredOfWindow))],
    ['consumer CPU % of 1 core', ...phases.map((p) => fmt(p.cpuPctOfOneCore.consumer, 1))],
    ['its PG backends CPU %', ...phases.map((p) => fmt(p.cpuPctOfOneCore.consumerBackends, 1))],
    ['PostgreSQL (all) CPU %', ...phases.map((p) => fmt(p.cpuPctOfOneCore.postgresAll, 1))],
    ['Mosquitto CPU %', ...phases.map((p) => fmt(p.cpuPctOfOneCore.mosquitto, 1))],
    ['publishers CPU %', ...phases.map((p) => fmt(p.cpuPctOfOneCore.publishers, 1))],
    ['bench main CPU %', ...phases.map((p) => fmt(p.cpuPctOfOneCore.benchMain, 1))],
    ['other processes CPU %', ...phases.map((p) => fmt(p.cpuPctOfOneCore.otherProcesses, 1))],
    ['unaccounted CPU %', ...phases.map((p) => fmt(p.cpuPctOfOneCore.unaccounted, 1))],
    [
      `machine busy % (${os.cpus().length} cores)`,
      ...phases.map((p) => fmt(p.cpuPctOfOneCore.machineBusyPctOfAllCores, 1)),
    ],
    ['  of which steal %', ...phases.map((p) => fmt(p.cpuPctOfOneCore.machineStealPctOfAllCores, 1))],
    ['transactions/s (history)', ...phases.map((p) => fmt(p.commitsInWindow / p.window.seconds, 1))],
    ['samples per transaction', ...phases.map((p) => fmt(p.meanSamplesPerTransaction, 1))],
    ['gateway mean commit ms', ...phases.map((p) => fmt(p.gatewayMetrics?.meanCommitMs, 2))],
    ['commits retried (window)', ...phases.map((p) => fmt(p.gatewayMetrics?.commitFailures))],
    ['deadlocks (whole phase)', ...phases.map((p) => fmt(p.deadlocks))],
    [
      'published / broker-acked',
      ...phases.map((p) => `${fmt(p.totals.published)} / ${fmt(p.totals.ackedByBroker)}`),
    ],
    ['stored / quarantined', ...phases.map((p) => `${fmt(p.totals.stored)} / ${fmt(p.totals.quarantined)}`)],
    ['not stored at end', ...phases.map((p) => fmt(p.totals.unstoredAtEnd))],
    ['  of which queued in broker', ...phases.map((p) => fmt(p.totals.queuedInBrokerAtEnd))],
    [
      'lost (gateway)',
      ...phases.map((p) =>
        p.totals.lostExact === false ? `~${fmt(p.totals.lost)} ($SYS)` : fmt(p.totals.lost),
      ),
    ],
    ['backlog at stop (naive)', ...phases.map((p) => fmt(p.totals.backlogAtStop))],
    ['drain after load, ms', ...phases.map((p) => fmt(p.totals.drainMs))],
    ['broker dropped ($SYS)', ...phases.map((p) => fmt(p.totals.brokerDroppedLastSys))],
    ['ratio to naive', ...ratios.map((r) => (r === null ? '-' : `${fmt(r, 1)}x`))],
  ];
}

// ---------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const startedAt = new Date();
  const info = await machineDetails({
    postgresSettings: { postgresFsync: 'fsync' },
    commands: { mosquitto: 'mosquitto -h | head -n 1' },
  });
  log(
    `${info.cpuCount} x ${info.cpuModel}, ${info.totalMemoryGiB} GiB, Node ${info.node}; ` +
      `${params.vehicles} cars, one sample every ${round(carPeriodS, 2)} s each = ${params.ratePerS} msg/s`,
  );
  log(
    'publishers: cars multiplexed over a few MQTT connections in child processes (not one connection per car), ' +
      'so the CPU of thousands of Node MQTT clients does not compete with the gateway',
  );
  log(
    `gateway settings: GATEWAY_MQTT_CONNECTIONS=${params.gatewayConnections.join(',')} (its default: ` +
      `${gatewayDefaults.GATEWAY_MQTT_CONNECTIONS}), GATEWAY_DB_POOL_SIZE=${params.gatewayDbPoolSize}, ` +
      `INGEST_MAX_BATCH_SAMPLES=${params.ingestMaxBatchSamples}, ` +
      `INGEST_COMMIT_CONCURRENCY=${params.ingestCommitConcurrency}, LOG_LEVEL=warn`,
  );
  await prepareTemplateDatabase();

  const phases: PhaseResult[] = [];
  for (const connections of params.gatewayConnections) {
    phases.push(
      await runPhase({
        kind: 'gateway',
        label: `gateway (${connections} conn)`,
        gatewayConnections: connections,
      }),
    );
  }
  const naive = params.naive ? await runPhase({ kind: 'naive', label: 'naive' }) : null;
  if (naive) phases.push(naive);
  const ratios = phases.map((p) =>
    naive && p.consumer === 'gateway' && naive.storedPerS > 0
      ? round(p.storedPerS / naive.storedPerS, 1)
      : null,
  );

  console.log('');
  printTable(phaseRows(phases, ratios));
  console.log('');
  const method = phases[0].latencyMs.method;
  console.log(`Latency: ${method}.`);
  console.log(
    'Sustained rate: history rows whose transaction became visible inside the measured window, divided by its length.',
  );
  if (naive && (naive.totals.backlogAtStop ?? 0) > 0) {
    console.log(
      `The naive consumer fell behind: ${naive.totals.backlogAtStop} acknowledged messages were still queued in the ` +
        'broker when the load stopped; its latency grows without bound while the offered rate exceeds what it stores.',
    );
  }
  const goals = phases
    .filter((p) => p.consumer === 'gateway')
    .map((p, i) => ({
      label: p.label,
      storedAtLeast10000PerS: p.storedPerS >= 10_000,
      p99AtMost250Ms: p.latencyMs.p99 !== null && p.latencyMs.p99 <= 250,
      atLeast10xNaive: ratios[i] === null ? null : ratios[i] >= 10,
      // From the $SYS store count when not drained: its baseline holds retained $SYS topics, +-a few.
      noLoss: p.totals.lostExact ? p.totals.lost === 0 : Math.abs(p.totals.lost ?? Infinity) <= 10,
      quarantineEmpty: p.totals.quarantined === 0,
    }));
  for (const g of goals) {
    const mark = (ok: boolean | null) => (ok === null ? 'n/a' : ok ? 'yes' : 'NO');
    console.log(
      `Goals, ${g.label}: >= 10,000 samples/s: ${mark(g.storedAtLeast10000PerS)}; p99 <= 250 ms: ${mark(g.p99AtMost250Ms)}; ` +
        `>= 10x naive: ${mark(g.atLeast10xNaive)}; lost 0: ${mark(g.noLoss)}; quarantine empty: ${mark(g.quarantineEmpty)}`,
    );
  }

  await writeResult(
    RESULTS,
    {
      benchmark: 'ingest',
      date: startedAt.toISOString(),
      durationOfRunS: round((Date.now() - startedAt.getTime()) / 1000, 1),
      machine: info,
      parameters: { ...params, carPeriodS, topicPrefix: TOPIC_PREFIX, publisherMode: 'multiplexed' },
      phases,
      ratiosToNaive: Object.fromEntries(phases.map((p, i) => [p.label, ratios[i]])),
      goals,
    },
    { expanded: true },
  );
}

runBenchmark(rootCleanup, main);
