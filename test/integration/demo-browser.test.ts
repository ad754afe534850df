/// <reference lib="dom" />
import {
  createTestDatabase,
  freePort,
  MosquittoInstance,
  ServiceProcess,
  startMosquitto,
  startService,
  TestDatabase,
} from '@fleet/testing';
import { ChildProcess, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { DemoCity, seedDemoZones } from '@fleet/simulator';
import { Browser, chromium, Page } from 'playwright-core';
import { startBooking, startGateway, TEST_OPERATOR } from './platform';

const ROOT = resolve(__dirname, '../..');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = resolve(ROOT, '.tmp/artifacts');
const CARS = 60;

/**
 * The demo as someone who just ran `npm start` sees it: the services, then scripts/demo.ts (seeding
 * the city, the simulated fleet and drivers); an operator opens the live map in headless Chromium and,
 * within 60 s of the fleet starting, sees every car, a trip happening and that car moving.
 */
describe('the demo on the live map (services, demo fleet and drivers, headless Chromium)', () => {
  let db: TestDatabase;
  let broker: MosquittoInstance;
  const services: ServiceProcess[] = [];
  let demo: ChildProcess;
  let demoOutput = '';
  let browser: Browser;
  let page: Page;
  let liveMapUrl: string;
  let bookingUrl: string;
  let fleetStartedAt: number;

  beforeAll(async () => {
    db = await createTestDatabase();
    broker = await startMosquitto();
    const common = { DATABASE_URL: db.url, MQTT_URL: broker.url };
    const gateway = await startGateway(common);
    const booking = await startBooking(common);
    const liveMap = await startService('live-map', await freePort(), {
      ...common,
      LIVE_MAP_BOOKING_URL: booking.baseUrl,
      LIVE_MAP_TILE_URL: '',
    });
    services.push(gateway, booking, liveMap);
    liveMapUrl = liveMap.baseUrl;
    bookingUrl = booking.baseUrl;
    demo = spawn(
      process.execPath,
      [
        '-r',
        'ts-node/register/transpile-only',
        '-r',
        'tsconfig-paths/register',
        resolve(ROOT, 'scripts/demo.ts'),
      ],
      {
        cwd: ROOT,
        env: {
          ...process.env,
          ...common,
          FLEET_OPERATOR_EMAIL: TEST_OPERATOR.email,
          FLEET_OPERATOR_PASSWORD: TEST_OPERATOR.password,
          BOOKING_PORT: String(booking.port),
          DEMO_CARS: String(CARS),
          DEMO_DRIVERS: '10',
        },
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      },
    );
    demo.stdout?.on('data', (d: Buffer) => (demoOutput += d.toString()));
    demo.stderr?.on('data', (d: Buffer) => (demoOutput += d.toString()));
    await new Promise<void>((ready, fail) => {
      demo.once('message', () => ready());
      demo.once('exit', (code) => fail(new Error(`the demo exited (${code}):\n${demoOutput}`)));
    });
    fleetStartedAt = Date.now();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  }, 120_000);

  afterAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    await page?.screenshot({ path: resolve(ARTIFACTS, 'demo.png') }).catch(() => undefined);
    await browser?.close();
    demo?.kill('SIGTERM');
    await Promise.all(services.map((s) => s.kill()));
    await broker?.stop();
    await db?.drop();
  }, 30_000);

  it('shows every car, a trip happening and the car moving, within 60 s of the fleet starting', async () => {
    await page.goto(liveMapUrl);
    await page.fill('input[name=email]', TEST_OPERATOR.email);
    await page.fill('input[name=password]', TEST_OPERATOR.password);
    await page.click('button[type=submit]');

    // Every car of the demo is counted (stats) and the business area is on the map.
    await page.waitForFunction((n) => document.getElementById('total')?.textContent === String(n), CARS, {
      timeout: 30_000,
    });
    expect(await page.locator('path.leaflet-interactive').count()).toBeGreaterThanOrEqual(4);
    const countedS = (Date.now() - fleetStartedAt) / 1000;

    // Only cars on a trip: a simulated driver has reserved a car, unlocked it and is driving.
    for (const box of await page.locator('#states input').all()) {
      if ((await box.getAttribute('value')) !== 'on_trip') await box.uncheck();
    }
    const driving = page.locator('[data-vehicle-id][data-state="on_trip"]').first();
    await driving.waitFor({ timeout: 50_000 });
    const id = await driving.getAttribute('data-vehicle-id');
    const tripSeenS = (Date.now() - fleetStartedAt) / 1000;
    const marker = page.locator(`[data-vehicle-id="${id}"]`);
    const before = (await marker.boundingBox())!;
    await page.waitForFunction(
      ([sel, x, y]) => {
        const r = document.querySelector(sel as string)?.getBoundingClientRect();
        return !!r && (Math.abs(r.x - x) >= 1 || Math.abs(r.y - y) >= 1);
      },
      [`[data-vehicle-id="${id}"]`, before.x, before.y] as const,
      { timeout: 20_000 },
    );
    const elapsedS = (Date.now() - fleetStartedAt) / 1000;
    console.log(
      `demo, seconds after the fleet started: ${CARS} cars counted ${countedS.toFixed(1)}, ${id} on a trip ` +
        `${tripSeenS.toFixed(1)}, moving ${elapsedS.toFixed(1)}`,
    );
    expect(elapsedS).toBeLessThanOrEqual(60);
  }, 120_000);

  it('seeded its zones through the API once: seeding again adds none', async () => {
    const login = await fetch(`${bookingUrl}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        email: TEST_OPERATOR.email,
        password: TEST_OPERATOR.password,
      }),
    });
    const { accessToken } = (await login.json()) as { accessToken: string };
    const zones = async () =>
      (
        (await (await fetch(`${bookingUrl}/api/v1/zones`)).json()) as {
          zones: { name: string; kind: string }[];
        }
      ).zones;
    expect((await zones()).map((z) => z.name).sort()).toEqual([
      'Alexanderplatz',
      'Berlin Ringbahn',
      'Pariser Platz',
      'Tempelhofer Feld',
    ]);
    expect(await seedDemoZones(bookingUrl, accessToken, DemoCity.berlin())).toBe(0);
    expect(await zones()).toHaveLength(4);
  });
});
