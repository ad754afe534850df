/**
 * `npm run soak` (bench/README.md, "Soak"): 200 cars publish numbered samples at a steady rate to a
 * Mosquitto with the project's configuration and accounts, through the telemetry gateway into
 * PostgreSQL, while faults hit in turn: Mosquitto restarted 3 times, PostgreSQL unreachable twice for
 * 20 s (a proxy between the gateway and the database is cut), the gateway killed with SIGKILL twice
 * (and started again, as a supervisor would). At the end: published, acknowledged by the broker,
 * stored, duplicates absorbed, lost (must be 0: the run fails otherwise) and the recovery of each
 * fault. `--short` (CI, under 3 minutes) keeps the faults and shortens the quiet time between them.
 */
import { SERVICE_NODE_ARGS } from '../libs/service-kit/src/node-args';
import {
  createTestDatabase,
  freePort,
  insertVehicles,
  MosquittoInstance,
  prepareTemplateDatabase,
  ServiceProcess,
  startMosquitto,
  startService,
  startTcpProxy,
  TestDatabase,
  TEST_VEHICLE_PASSWORD,
} from '@fleet/testing';
import mqtt, { MqttClient } from 'mqtt';
import { resolve } from 'node:path';
import { Client } from 'pg';
import {
  Cleanup,
  fmt,
  intEnv,
  killService,
  log,
  machineDetails,
  printTable,
  round,
  runBenchmark,
  sleep,
  writeResult,
} from './common';

const SHORT = process.argv.includes('--short') || process.env.SOAK_SHORT === '1';
const params = {
  cars: intEnv('SOAK_CARS', 200),
  /** Samples per car per second. */
  rateHz: intEnv('SOAK_RATE_HZ', 2),
  /** Normal running before each fault and after the last. */
  quietS: intEnv('SOAK_QUIET_S', SHORT ? 10 : 45),
  databaseOutageS: intEnv('SOAK_DB_OUTAGE_S', 20),
  drainTimeoutS: intEnv('SOAK_DRAIN_TIMEOUT_S', 120),
};
type FaultKind = 'mosquitto restart' | 'database unreachable' | 'gateway SIGKILL';
/** SOAK_FAULTS=broker,database,gateway keeps only those kinds (e.g. one long outage at a high rate). */
const KINDS: Record<string, FaultKind> = {
  broker: 'mosquitto restart',
  database: 'database unreachable',
  gateway: 'gateway SIGKILL',
};
const kept = (process.env.SOAK_FAULTS ?? 'broker,database,gateway').split(',').map((k) => {
  if (!KINDS[k.trim()]) throw new Error(`SOAK_FAULTS: unknown fault ${k} (broker, database, gateway)`);
  return KINDS[k.trim()];
});
const SCHEDULE = (
  [
    'mosquitto restart',
    'database unreachable',
    'gateway SIGKILL',
    'mosquitto restart',
    'database unreachable',
    'gateway SIGKILL',
    'mosquitto restart',
  ] as const
).filter((f) => kept.includes(f));
const PREFIX = 'fleet/v1';

/**
 * `missing`: every (id, seq) a car published (seq 0 .. n - 1, from $1 ids and $2 counts) that is not
 * stored, with `run` equal along a run of consecutive missing seqs of one car.
 */
const MISSING_SEQS = `
  expected AS (
    SELECT c.id, s.seq FROM unnest($1::text[], $2::int[]) AS c(id, n), generate_series(0, c.n - 1) AS s(seq)
  ), missing AS (
    SELECT e.id, e.seq, e.seq - row_number() OVER (PARTITION BY e.id ORDER BY e.seq) AS run FROM expected e
     WHERE NOT EXISTS (SELECT 1 FROM telemetry t WHERE t.vehicle_id = e.id AND t.seq = e.seq)
  )`;

/** A car: numbered samples at a steady rate over its own MQTT connection, counting what the broker acknowledged. */
class SoakCar {
  private client!: MqttClient;
  private timer?: NodeJS.Timeout;
  /** Samples published so far: seq 0 .. published - 1. */
  published = 0;
  acked = 0;
  errors = 0;

  constructor(
    readonly id: string,
    private readonly url: string,
    private readonly index: number,
  ) {}

  async connect(): Promise<void> {
    const status = `${PREFIX}/vehicles/${this.id}/status`;
    this.client = mqtt.connect(this.url, {
      clientId: this.id,
      username: this.id,
      password: TEST_VEHICLE_PASSWORD,
      protocolVersion: 4,
      // A car keeps its session and its unacknowledged messages, and keeps trying.
      clean: false,
      reconnectPeriod: 500,
      reconnectOnConnackError: true,
      will: { topic: status, payload: Buffer.from('{"online":false}'), qos: 1, retain: true },
    });
    this.client.on('connect', () => this.client.publish(status, '{"online":true}', { qos: 1, retain: true }));
    this.client.on('error', () => undefined);
    await new Promise<void>((done) => this.client.once('connect', () => done()));
  }

  start(rateHz: number, fleetSize: number): void {
    const periodMs = 1000 / rateHz;
    // Spread the cars over the period, so the load is steady rather than in bursts.
    setTimeout(
      () => {
        this.publishOne();
        this.timer = setInterval(() => this.publishOne(), periodMs);
      },
      (this.index * periodMs) / fleetSize,
    );
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private publishOne(): void {
    const seq = this.published++;
    const sample = {
      ts: Date.now(),
      lat: 52.5 + (this.index % 20) * 0.005 + seq * 1e-6,
      lon: 13.3 + Math.floor(this.index / 20) * 0.005,
      locked: true,
      seq,
      speedKmh: 3,
    };
    this.client.publish(
      `${PREFIX}/vehicles/${this.id}/telemetry`,
      JSON.stringify(sample),
      { qos: 1 },
      (err) => (err ? this.errors++ : this.acked++),
    );
  }

  get inFlight(): number {
    return this.published - this.acked - this.errors;
  }

  async end(): Promise<void> {
    await this.client.endAsync(true).catch(() => undefined);
  }
}

interface FaultRecord {
  fault: FaultKind;
  startedAtS: number;
  /** How long the part was down or unreachable. */
  downS: number;
  /** From the part being back until every sample published before then was stored. */
  recoveryS: number | null;
}

const cleanup = new Cleanup();
runBenchmark(cleanup, async () => {
  log(
    `soak${SHORT ? ' (short)' : ''}: ${params.cars} cars x ${params.rateHz} Hz, ${SCHEDULE.length} faults, ` +
      `${params.quietS} s between them`,
  );
  await prepareTemplateDatabase();
  const db: TestDatabase = await createTestDatabase();
  cleanup.add(`database ${db.name}`, () => db.drop());
  const ids = Array.from({ length: params.cars }, (_, i) => `SOAK-${String(i + 1).padStart(4, '0')}`);
  await insertVehicles(db.client, ids);

  const broker: MosquittoInstance = await startMosquitto({
    secured: true,
    // SOAK_BROKER_LOG=<file>: the broker's log, for investigations.
    extraConfig: process.env.SOAK_BROKER_LOG
      ? `log_dest file ${process.env.SOAK_BROKER_LOG}\nlog_type all`
      : '',
  });
  cleanup.add('mosquitto', () => broker.stop());
  const server = new URL(db.url);
  const dbProxy = await startTcpProxy(server.hostname, Number(server.port || 5432));
  cleanup.add('database proxy', () => dbProxy.close());

  const gatewayPort = await freePort();
  const gatewayEnv = {
    DATABASE_URL: dbProxy.via(db.url),
    MQTT_URL: broker.serviceUrl,
    MOSQUITTO_AUTH_DIR: broker.authDir,
    MOSQUITTO_AUTH_SYNC_S: '1',
    GATEWAY_INSTANCE_ID: 'soak',
    LOG_LEVEL: 'warn',
  };
  const startGateway = () =>
    startService(
      'telemetry-gateway',
      gatewayPort,
      gatewayEnv,
      60_000,
      SERVICE_NODE_ARGS['telemetry-gateway'],
    );
  let gateway: ServiceProcess = await startGateway();
  cleanup.add('gateway', () => killService(gateway));

  // What each gateway lifetime counted, from its /metrics (scraped every second: a SIGKILL loses at
  // most the last second of its count of duplicates).
  const lifetimes: { duplicates: number; received: number; brokerDropped: number }[] = [
    { duplicates: 0, received: 0, brokerDropped: 0 },
  ];
  const scrape = setInterval(() => void scrapeMetrics(gateway, lifetimes[lifetimes.length - 1]), 1000);
  cleanup.add('metrics scraping', async () => clearInterval(scrape));

  const cars = ids.map((id, i) => new SoakCar(id, broker.url, i));
  cleanup.add('cars', () => Promise.all(cars.map((c) => c.end())));
  for (let i = 0; i < cars.length; i += 50) await Promise.all(cars.slice(i, i + 50).map((c) => c.connect()));
  log(`${cars.length} cars connected; publishing`);
  const startedAt = Date.now();
  const at = () => round((Date.now() - startedAt) / 1000, 1);
  for (const car of cars) car.start(params.rateHz, cars.length);

  const recoveries: Promise<number | null>[] = [];
  const faults: FaultRecord[] = [];
  for (const fault of SCHEDULE) {
    await sleep(params.quietS * 1000);
    const startedAtS = at();
    log(`fault: ${fault}`);
    const down = Date.now();
    if (fault === 'mosquitto restart') {
      await broker.restart();
    } else if (fault === 'database unreachable') {
      dbProxy.cut();
      await sleep(params.databaseOutageS * 1000);
      dbProxy.restore();
    } else {
      await gateway.kill('SIGKILL');
      lifetimes.push({ duplicates: 0, received: 0, brokerDropped: 0 });
      gateway = await startGateway();
    }
    const record: FaultRecord = {
      fault,
      startedAtS,
      downS: round((Date.now() - down) / 1000, 1),
      recoveryS: null,
    };
    faults.push(record);
    log(`  back after ${record.downS} s`);
    const recovery = caughtUp(db.client, cars, Date.now(), params.drainTimeoutS * 1000);
    recoveries.push(recovery);
    void recovery.then((s) => {
      record.recoveryS = s;
      log(`  ${fault} at ${startedAtS} s: caught up ${s === null ? 'never' : `${s} s`} after it ended`);
    });
  }
  await sleep(params.quietS * 1000);
  for (const car of cars) car.stop();
  const publishedAtS = at();
  log('cars stopped; draining');

  const drainStart = Date.now();
  const drained = await caughtUp(db.client, cars, Date.now(), params.drainTimeoutS * 1000);
  await Promise.all(recoveries);
  await scrapeMetrics(gateway, lifetimes[lifetimes.length - 1]);
  clearInterval(scrape);

  const published = sum(cars.map((c) => c.published));
  const acked = sum(cars.map((c) => c.acked));
  const publishedSeqs = [cars.map((c) => c.id), cars.map((c) => c.published)];
  const { rows } = await db.client.query<{ stored: number; distinct_stored: number; lost: number }>(
    `WITH ${MISSING_SEQS}
     SELECT (SELECT count(*)::int FROM telemetry) AS stored,
            (SELECT count(DISTINCT (vehicle_id, seq))::int FROM telemetry) AS distinct_stored,
            (SELECT count(*)::int FROM missing) AS lost`,
    publishedSeqs,
  );
  const totals = {
    published,
    acknowledgedByBroker: acked,
    publishErrors: sum(cars.map((c) => c.errors)),
    stored: rows[0].stored,
    storedTwice: rows[0].stored - rows[0].distinct_stored,
    duplicatesAbsorbed: sum(lifetimes.map((l) => l.duplicates)),
    lost: rows[0].lost,
    drainS: drained,
    brokerDroppedMax: Math.max(...lifetimes.map((l) => l.brokerDropped)),
  };

  printTable([
    ['fault', 'at s', 'down s', 'caught up s after'],
    ...faults.map((f) => [f.fault, fmt(f.startedAtS, 1), fmt(f.downS, 1), fmt(f.recoveryS, 1)]),
  ]);
  console.log('');
  printTable([
    ['total', 'count'],
    ['published', fmt(totals.published)],
    ['acknowledged by the broker', fmt(totals.acknowledgedByBroker)],
    ['stored', fmt(totals.stored)],
    ['duplicates absorbed (gateway metrics)', fmt(totals.duplicatesAbsorbed)],
    ['stored twice', fmt(totals.storedTwice)],
    ['lost', fmt(totals.lost)],
    ['drain after the cars stopped, s', fmt(totals.drainS, 1)],
  ]);

  const name = process.env.SOAK_RESULT ?? (SHORT ? 'soak-short' : 'soak');
  const file = resolve(__dirname, 'results', `${name}.json`);
  await writeResult(file, {
    benchmark: 'soak',
    short: SHORT,
    measuredAt: new Date().toISOString(),
    machine: await machineDetails({ commands: { mosquitto: 'mosquitto -h | head -n 1' } }),
    params: {
      ...params,
      faults: kept,
      samplesPerSecond: params.cars * params.rateHz,
      publishingS: publishedAtS,
    },
    faults,
    totals,
    drainStartedAtS: round((drainStart - startedAt) / 1000, 1),
  });
  if (totals.lost > 0) {
    const { rows: gaps } = await db.client.query<{ id: string; from_seq: number; to_seq: number }>(
      `WITH ${MISSING_SEQS}
       SELECT id, min(seq)::int AS from_seq, max(seq)::int AS to_seq FROM missing GROUP BY id, run
        ORDER BY min(seq), id LIMIT 12`,
      publishedSeqs,
    );
    log(`lost samples (first runs, seq at ${params.rateHz} Hz from the start):`);
    for (const g of gaps) log(`  ${g.id} seq ${g.from_seq}..${g.to_seq}`);
  }
  if (totals.lost > 0 || totals.storedTwice > 0 || drained === null) {
    throw new Error(
      `soak failed: ${totals.lost} lost, ${totals.storedTwice} stored twice, drained: ${drained !== null}`,
    );
  }
  log('soak passed: nothing lost, nothing stored twice');
});

/**
 * Seconds from `fromMs` until every sample the cars had published by then is stored; null when that
 * does not happen within `timeoutMs`. Read straight from PostgreSQL (not through the cut proxy).
 */
async function caughtUp(
  db: Client,
  cars: SoakCar[],
  fromMs: number,
  timeoutMs: number,
): Promise<number | null> {
  const ids = cars.map((c) => c.id);
  const marks = cars.map((c) => c.published);
  const expected = sum(marks);
  while (Date.now() - fromMs < timeoutMs) {
    const { rows } = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM telemetry t
         JOIN unnest($1::text[], $2::int[]) AS m(id, n) ON t.vehicle_id = m.id AND t.seq < m.n`,
      [ids, marks],
    );
    if (rows[0].n >= expected) return round((Date.now() - fromMs) / 1000, 1);
    await sleep(500);
  }
  return null;
}

async function scrapeMetrics(
  gateway: ServiceProcess,
  into: { duplicates: number; received: number; brokerDropped: number },
): Promise<void> {
  try {
    const text = await (
      await fetch(`${gateway.baseUrl}/metrics`, { signal: AbortSignal.timeout(900) })
    ).text();
    const value = (name: string) => {
      const line = text.split('\n').find((l) => l.startsWith(`${name} `));
      return line ? Number(line.slice(name.length + 1)) : NaN;
    };
    const duplicates = value('fleet_telemetry_duplicates_total');
    if (!Number.isNaN(duplicates)) into.duplicates = duplicates;
    const received = value('fleet_telemetry_messages_received_total');
    if (!Number.isNaN(received)) into.received = received;
    const dropped = value('fleet_broker_messages_dropped');
    if (!Number.isNaN(dropped)) into.brokerDropped = dropped;
  } catch {
    // the gateway is down or restarting: its last scrape stands
  }
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
