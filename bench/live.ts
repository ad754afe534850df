/**
 * Live-map benchmark (`npm run bench:live`): 10,000 simulated cars report at 1 Hz through a Mosquitto
 * of our own and the built telemetry gateway; the built live-map service follows the state stream;
 * 1,000 socket.io clients (child processes) each watch a random viewport of the city. In the same run a
 * naive broadcaster (bench/naive-live.ts: every change to every socket at once) serves a few clients
 * of its own, for the bytes ratio. Prints delivered car updates/s, latency from publish to client
 * (p50/p99), bytes per client per second and the live map's CPU. Results: stdout and
 * bench/results/live.json. See bench/README.md.
 *
 * Settings (environment): LIVE_BENCH_VEHICLES (10000), LIVE_BENCH_RATE (msg/s, 10000: each car at
 * 1 Hz), LIVE_BENCH_CLIENTS (1000), LIVE_BENCH_CLIENT_PROCESSES (2), LIVE_BENCH_ZOOMS (16,17: the map
 * zoom of each client's 1280 x 800 px viewport, drawn uniformly), LIVE_BENCH_NAIVE_CLIENTS (3),
 * LIVE_BENCH_WARMUP_S (15), LIVE_BENCH_DURATION_S (30), LIVE_BENCH_RESULTS (path of the JSON),
 * LIVE_BENCH_NODE_ARGS (node options of the live-map service, e.g. --cpu-prof); any
 * LIVE_MAP_* variable is passed on to the live-map service.
 */
import {
  createTestDatabase,
  openTestSession,
  freePort,
  insertVehicles,
  prepareTemplateDatabase,
  startMosquitto,
  startService,
} from '@fleet/testing';
import type { ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
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
  runBenchmark,
  sleepUntil,
  writeResult,
} from './common';
import type { ClientsSetup, ClientsStats } from './live-clients';
import { allProcesses, cpuReport, cpuSnapshot } from './proc';
import { PublisherStats, startPublishers } from './publisher';

const cleanup = new Cleanup();
const GOAL = { p99Ms: 400, bytesRatio: 10, liveMapCpuPct: 50 };
const TOPIC_PREFIX = 'fleet/v1';

const params = {
  vehicles: intEnv('LIVE_BENCH_VEHICLES', 10_000),
  ratePerS: intEnv('LIVE_BENCH_RATE', 10_000),
  clients: intEnv('LIVE_BENCH_CLIENTS', 1000),
  clientProcesses: intEnv('LIVE_BENCH_CLIENT_PROCESSES', 2),
  zooms: (process.env.LIVE_BENCH_ZOOMS ?? '16,17').split(',').map(Number),
  naiveClients: intEnv('LIVE_BENCH_NAIVE_CLIENTS', 3),
  warmupS: intEnv('LIVE_BENCH_WARMUP_S', 15),
  durationS: intEnv('LIVE_BENCH_DURATION_S', 30),
  publisherProcesses: 2,
  connectionsPerPublisher: 4,
  maxInflightPerConnection: 100,
  tickMs: 20,
  /** The screen each operator watches, px. */
  screen: { width: 1280, height: 800 },
  seed: 20_261_121,
};
const RESULTS = resolve(process.env.LIVE_BENCH_RESULTS ?? resolve(__dirname, 'results/live.json'));
/** Where bench/publisher.ts starts its cars (it draws them in this box; they drive from there). */
const CITY = { south: 52.45, north: 52.57, west: 13.3, east: 13.5 };

/** A viewport of `zoom` (Web Mercator, 256 px tiles) on the screen, centred at a point. */
function viewport(lat: number, lon: number, zoom: number): [number, number, number, number] {
  const degPerPx = 360 / (256 * 2 ** zoom);
  const halfW = (params.screen.width / 2) * degPerPx;
  // Mercator: a degree of latitude spans 1/cos(lat) times as many pixels as one of longitude.
  const halfH = (params.screen.height / 2) * degPerPx * Math.cos((lat * Math.PI) / 180);
  return [lon - halfW, lat - halfH, lon + halfW, lat + halfH];
}

function liveMapEnv(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(process.env).filter((e): e is [string, string] => e[0].startsWith('LIVE_MAP_') && !!e[1]),
  );
}

async function main(): Promise<void> {
  const machine = await machineDetails({ commands: { mosquitto: 'mosquitto -h | head -n 1' } });
  log(
    `${params.vehicles} cars at ${params.ratePerS} msg/s; ${params.clients} live-map clients at zoom ` +
      `${params.zooms.join('/')}, ${params.naiveClients} naive clients; warm-up ${params.warmupS} s, measuring ${params.durationS} s`,
  );
  await prepareTemplateDatabase();
  const mosquitto = await startMosquitto();
  cleanup.add('mosquitto', () => mosquitto.stop());
  const db = await createTestDatabase();
  cleanup.add(`database ${db.name}`, () => db.drop());
  const ids = Array.from({ length: params.vehicles }, (_, i) => `L${String(i).padStart(5, '0')}`);
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

  const common = { DATABASE_URL: db.url, MQTT_URL: mosquitto.url, LOG_LEVEL: 'warn' };
  const gateway = await startService(
    'telemetry-gateway',
    await freePort(),
    { ...common, GATEWAY_INSTANCE_ID: 'bench' },
    60_000,
    SERVICE_NODE_ARGS['telemetry-gateway'],
  );
  cleanup.add('gateway', () => killService(gateway));
  const liveMapSettings = liveMapEnv();
  const liveMap = await startService(
    'live-map',
    await freePort(),
    { ...common, ...liveMapSettings },
    60_000,
    [
      ...(SERVICE_NODE_ARGS['live-map'] ?? []),
      ...(process.env.LIVE_BENCH_NODE_ARGS ?? '').split(/\s+/).filter(Boolean),
    ],
  );
  cleanup.add('live-map', () => killService(liveMap));
  const naivePort = await freePort();
  const naive = forkTs('naive-live.ts', { MQTT_URL: mosquitto.url, NAIVE_PORT: String(naivePort) });
  cleanup.add('naive broadcaster', () => killChild(naive));
  await nextMessage(naive, 'ready', 30_000, 'naive broadcaster');
  const mosquittoPid = allProcesses().find((p) => p.ppid === process.pid && p.comm === 'mosquitto')?.pid;

  // The operators: a fleet manager's session, made in the database as login makes one.
  const { token } = await openTestSession(db.client, 'fleet_manager');
  const random = prng(params.seed);
  const viewports = Array.from({ length: params.clients }, () =>
    viewport(
      CITY.south + random() * (CITY.north - CITY.south),
      CITY.west + random() * (CITY.east - CITY.west),
      params.zooms[Math.floor(random() * params.zooms.length)],
    ),
  );
  const clientGroups: { child: ChildProcess; target: 'live-map' | 'naive'; clients: number }[] = [];
  const per = Math.ceil(params.clients / params.clientProcesses);
  const connectClients = async (
    target: 'live-map' | 'naive',
    url: string,
    vps: ClientsSetup['viewports'],
  ) => {
    const child = forkTs('live-clients.ts');
    cleanup.add(`${target} clients ${child.pid}`, () => killChild(child));
    clientGroups.push({ child, target, clients: vps.length });
    const connected = nextMessage(child, 'connected', 120_000, `${target} clients`);
    child.send({ cmd: 'connect', url, token, viewports: vps, concurrency: 50 } satisfies ClientsSetup & {
      cmd: string;
    });
    await connected;
  };
  for (let p = 0; p < params.clientProcesses; p++) {
    await connectClients('live-map', liveMap.baseUrl, viewports.slice(p * per, (p + 1) * per));
  }
  await connectClients('naive', `http://127.0.0.1:${naivePort}`, viewports.slice(0, params.naiveClients));
  log(`${params.clients} + ${params.naiveClients} clients connected and subscribed`);

  // The cars.
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
      clientIdPrefix: 'bench-live-pub',
    },
    cleanup,
  );
  const startAt = Date.now() + 300;
  for (const c of publishers) c.send({ cmd: 'go', atMs: startAt });
  const t0 = startAt + params.warmupS * 1000;
  const t1 = t0 + params.durationS * 1000;
  await sleepUntil(t0);
  for (const g of clientGroups) g.child.send({ cmd: 'window' });
  const cpuStart = cpuSnapshot();
  await sleepUntil(t1);
  const cpuEnd = cpuSnapshot();
  const reports = await Promise.all(
    clientGroups.map(async (g) => {
      const report = nextMessage<ClientsStats>(g.child, 'report', 30_000, `${g.target} clients`);
      g.child.send({ cmd: 'report' });
      return { target: g.target, stats: (await report).stats! };
    }),
  );
  const done = publishers.map((c) => nextMessage<PublisherStats>(c, 'done', 30_000, 'publisher'));
  for (const c of publishers) c.send({ cmd: 'stop' });
  const published = (await Promise.all(done)).reduce((s, m) => s + m.stats!.published, 0);
  const stored = Number(
    (
      await db.client.query<{ n: string }>(
        `SELECT count(*) AS n FROM vehicle_state WHERE position IS NOT NULL`,
      )
    ).rows[0].n,
  );

  const cpu = cpuReport(
    cpuStart,
    cpuEnd,
    {
      liveMap: [liveMap.child.pid!],
      gateway: [gateway.child.pid!],
      naive: [naive.pid!],
      mosquitto: mosquittoPid ? [mosquittoPid] : [],
      publishers: publishers.map((c) => c.pid!),
      liveMapClients: clientGroups.filter((g) => g.target === 'live-map').map((g) => g.child.pid!),
      naiveClients: clientGroups.filter((g) => g.target === 'naive').map((g) => g.child.pid!),
    },
    { topOthers: 3 },
  );
  const summarise = (target: 'live-map' | 'naive') => {
    const mine = reports.filter((r) => r.target === target).map((r) => r.stats);
    const clients = mine.reduce((s, r) => s + r.clients, 0);
    const seconds = mine[0].seconds;
    const vehicleUpdates = mine.reduce((s, r) => s + r.vehicleUpdates, 0);
    const bytes = mine.reduce((s, r) => s + r.bytes, 0);
    // The groups' percentiles: the worst of the processes (each holds about half of the clients).
    const worst = (k: 'p50' | 'p90' | 'p99' | 'max') => Math.max(...mine.map((r) => r.latencyMs[k] ?? 0));
    return {
      clients,
      connectedAtEnd: mine.reduce((s, r) => s + r.connected, 0),
      disconnects: mine.reduce((s, r) => s + r.disconnects, 0),
      deliveredCarUpdatesPerS: round(vehicleUpdates / seconds, 0),
      carUpdatesPerClientPerS: round(vehicleUpdates / seconds / clients, 1),
      updatesMessagesPerClientPerS: round(
        mine.reduce((s, r) => s + r.updatesMessages, 0) / seconds / clients,
        2,
      ),
      bytesPerClientPerS: round(bytes / seconds / clients, 0),
      latencyMs: { p50: worst('p50'), p90: worst('p90'), p99: worst('p99'), max: worst('max') },
      unmeasured: mine.reduce((s, r) => s + r.unmeasured, 0),
    };
  };
  const live = summarise('live-map');
  const naiveResult = summarise('naive');
  const bytesRatio =
    live.bytesPerClientPerS > 0 ? round(naiveResult.bytesPerClientPerS / live.bytesPerClientPerS, 1) : null;

  console.log('');
  printTable([
    [
      'target',
      'clients',
      'car updates/s',
      'per client/s',
      'msgs/client/s',
      'p50 ms',
      'p99 ms',
      'max ms',
      'bytes/client/s',
      'server CPU %',
      'clients CPU %',
    ],
    ...(
      [
        ['live map', live, cpu.liveMap, cpu.liveMapClients],
        ['naive', naiveResult, cpu.naive, cpu.naiveClients],
      ] as const
    ).map(([label, r, serverCpu, clientCpu]) => [
      label,
      fmt(r.clients),
      fmt(r.deliveredCarUpdatesPerS),
      fmt(r.carUpdatesPerClientPerS, 1),
      fmt(r.updatesMessagesPerClientPerS, 2),
      fmt(r.latencyMs.p50),
      fmt(r.latencyMs.p99),
      fmt(r.latencyMs.max),
      fmt(r.bytesPerClientPerS),
      fmt(serverCpu, 1),
      fmt(clientCpu, 1),
    ]),
  ]);
  console.log(
    `\nCPU (% of one core): live-map ${cpu.liveMap}, gateway ${cpu.gateway}, PostgreSQL ${cpu.postgresAll}, ` +
      `Mosquitto ${cpu.mosquitto}, publishers ${cpu.publishers}, naive ${cpu.naive}, machine ${cpu.machineBusyPctOfAllCores} % of all cores`,
  );
  const goals = {
    p99: { goalMs: GOAL.p99Ms, measuredMs: live.latencyMs.p99, met: live.latencyMs.p99 <= GOAL.p99Ms },
    bytes: {
      goalRatio: GOAL.bytesRatio,
      measuredRatio: bytesRatio,
      met: (bytesRatio ?? 0) >= GOAL.bytesRatio,
    },
    cpu: { goalPct: GOAL.liveMapCpuPct, measuredPct: cpu.liveMap, met: cpu.liveMap <= GOAL.liveMapCpuPct },
  };
  const says = (met: boolean) => (met ? 'met' : 'NOT MET');
  console.log(
    `Goals: p99 <= ${GOAL.p99Ms} ms: ${says(goals.p99.met)} (${live.latencyMs.p99} ms); bytes per client >= ${GOAL.bytesRatio}x ` +
      `fewer than naive: ${says(goals.bytes.met)} (${bytesRatio}x); live-map <= ${GOAL.liveMapCpuPct} % of a core: ` +
      `${says(goals.cpu.met)} (${cpu.liveMap} %)`,
  );
  await writeResult(RESULTS, {
    benchmark: 'live',
    date: new Date().toISOString(),
    machine,
    parameters: { ...params, liveMapSettings, city: CITY, published, carsWithPosition: stored },
    liveMap: live,
    naive: naiveResult,
    bytesRatio,
    cpuPctOfOneCore: cpu,
    goals,
  });
  for (const g of clientGroups) g.child.send({ cmd: 'close' });
}

runBenchmark(cleanup, main);
