/**
 * The operator page under load (`node -r ts-node/register/transpile-only -r tsconfig-paths/register
 * bench/live-page.ts`): 10,000 cars at 1 Hz through Mosquitto and the gateway, the page in headless
 * Debian Chromium showing the whole city. Measures, in the page, frames per second and the main
 * thread's long tasks (over 50 ms) for 20 s, and how many cars the page holds. Prints the figures and
 * writes bench/results/live-page.json.
 */
import { configuredSecret } from '@fleet/config';
import {
  createTestDatabase,
  freePort,
  insertVehicles,
  prepareTemplateDatabase,
  startMosquitto,
  startService,
} from '@fleet/testing';
import { resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { SERVICE_NODE_ARGS } from '../libs/service-kit/src/node-args';
import {
  Cleanup,
  intEnv,
  killService,
  log,
  machineDetails,
  runBenchmark,
  sleep,
  writeResult,
} from './common';
import { startPublishers } from './publisher';

/** The first operator's password, as booking takes it. */
const operatorPassword = () => configuredSecret('FLEET_OPERATOR_PASSWORD');

const cleanup = new Cleanup();
const VEHICLES = intEnv('LIVE_PAGE_VEHICLES', 10_000);
const MEASURE_S = 20;

async function main(): Promise<void> {
  const machine = await machineDetails();
  await prepareTemplateDatabase();
  const mosquitto = await startMosquitto();
  cleanup.add('mosquitto', () => mosquitto.stop());
  const db = await createTestDatabase();
  cleanup.add('database', () => db.drop());
  const ids = Array.from({ length: VEHICLES }, (_, i) => `P${String(i).padStart(5, '0')}`);
  await insertVehicles(db.client, ids);
  const common = { DATABASE_URL: db.url, MQTT_URL: mosquitto.url, LOG_LEVEL: 'warn' };
  const gateway = await startService(
    'telemetry-gateway',
    await freePort(),
    { ...common, GATEWAY_INSTANCE_ID: 'page' },
    60_000,
    SERVICE_NODE_ARGS['telemetry-gateway'],
  );
  cleanup.add('gateway', () => killService(gateway));
  const booking = await startService(
    'booking',
    await freePort(),
    { ...common, PASSWORD_ARGON2_MEMORY_KIB: '1024', PASSWORD_ARGON2_TIME_COST: '1' },
    60_000,
  );
  cleanup.add('booking', () => killService(booking));
  const liveMap = await startService(
    'live-map',
    await freePort(),
    { ...common, LIVE_MAP_BOOKING_URL: booking.baseUrl, LIVE_MAP_TILE_URL: '' },
    60_000,
  );
  cleanup.add('live-map', () => killService(liveMap));
  // The page fits the business area: the publishers' 13 x 13 km of Berlin.
  const login = await fetch(`${booking.baseUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'operator@fleet.local', password: operatorPassword() }),
  });
  const { accessToken } = (await login.json()) as { accessToken: string };
  const ring = [
    [13.29, 52.44],
    [13.51, 52.44],
    [13.51, 52.58],
    [13.29, 52.58],
    [13.29, 52.44],
  ];
  await fetch(`${booking.baseUrl}/api/v1/zones`, {
    method: 'POST',
    headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      name: 'Berlin',
      kind: 'business_area',
      geometry: { type: 'Polygon', coordinates: [ring] },
    }),
  });
  const publishers = await startPublishers(
    {
      url: mosquitto.url,
      topicPrefix: 'fleet/v1',
      vehicleIds: ids,
      electric: ids.map(() => true),
      ratePerS: VEHICLES,
      processes: 2,
      tickMs: 20,
      connections: 4,
      maxInflightPerConnection: 100,
      clientIdPrefix: 'page-pub',
    },
    cleanup,
  );
  for (const c of publishers) c.send({ cmd: 'go', atMs: Date.now() + 200 });
  await sleep(10_000);

  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox'],
  });
  cleanup.add('browser', () => browser.close());
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(liveMap.baseUrl);
  await page.fill('input[name=email]', 'operator@fleet.local');
  await page.fill('input[name=password]', operatorPassword());
  await page.click('button[type=submit]');
  await page.waitForFunction(
    () => Number(document.getElementById('in-view')?.textContent) > 1000,
    undefined,
    { timeout: 60_000 },
  );
  log(`page holds ${await page.textContent('#in-view')} cars; measuring ${MEASURE_S} s`);
  const figures = await page.evaluate(async (seconds) => {
    const longTasks: number[] = [];
    new PerformanceObserver((list) => list.getEntries().forEach((e) => longTasks.push(e.duration))).observe({
      type: 'longtask',
      buffered: false,
    });
    let frames = 0;
    const count = () => {
      frames++;
      requestAnimationFrame(count);
    };
    requestAnimationFrame(count);
    await new Promise((r) => setTimeout(r, seconds * 1000));
    return {
      framesPerS: frames / seconds,
      longTasks: longTasks.length,
      longTaskMsTotal: longTasks.reduce((s, d) => s + d, 0),
      longestTaskMs: Math.max(0, ...longTasks),
      carsInView: Number(document.getElementById('in-view')?.textContent),
      markers: document.querySelectorAll('.leaflet-marker-icon').length,
    };
  }, MEASURE_S);
  await page.screenshot({ path: resolve(__dirname, '../.tmp/artifacts/live-page-10k.png') });
  console.log(figures);
  await writeResult(resolve(__dirname, 'results/live-page.json'), {
    benchmark: 'live-page',
    date: new Date().toISOString(),
    machine,
    parameters: {
      vehicles: VEHICLES,
      ratePerS: VEHICLES,
      measureS: MEASURE_S,
      viewport: '1280x800, the whole city',
    },
    figures,
  });
}

runBenchmark(cleanup, main);
