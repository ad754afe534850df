/// <reference lib="dom" />
import { SimulatedCar } from '@fleet/simulator';
import {
  createTestDatabase,
  freePort,
  insertVehicles,
  MosquittoInstance,
  ServiceProcess,
  startMosquitto,
  startService,
  TestDatabase,
  waitFor,
} from '@fleet/testing';
import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Browser, chromium, Page } from 'playwright-core';
import { BookingApi } from './booking-api';
import { startBooking, startGateway, TEST_OPERATOR } from './platform';

/** Debian's Chromium (scripts/test.sh installs it); nothing is downloaded. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Where the screenshot is kept for people to look at (gitignored). */
const ARTIFACTS = resolve(__dirname, '../../.tmp/artifacts');

/**
 * The operator's page in a real browser: headless Chromium logs in through the booking API, sees the
 * cars of the live map, watches one move and opens its details. No tile server is reachable (as in
 * CI): the page must still show cars and zones.
 */
describe('live map page in headless Chromium', () => {
  let db: TestDatabase;
  let broker: MosquittoInstance;
  let gateway: ServiceProcess;
  let booking: ServiceProcess;
  let liveMap: ServiceProcess;
  let browser: Browser;
  let page: Page;
  const cars: SimulatedCar[] = [];
  const pageLog: string[] = [];
  /** A small business area in Mitte, so that the page opens close enough to show each car on its own. */
  const AREA = { west: 13.396, south: 52.516, east: 13.412, north: 52.524 };
  const markerBox = async (id: string) => page.locator(`[data-vehicle-id="${id}"]`).boundingBox();

  beforeAll(async () => {
    db = await createTestDatabase();
    broker = await startMosquitto();
    const common = { DATABASE_URL: db.url, MQTT_URL: broker.url };
    // The car below jumps 300 m within a second; the plausibility screen is not under test.
    gateway = await startGateway(common, { TELEMETRY_MAX_IMPLIED_SPEED_KMH: '1000000' });
    booking = await startBooking(common);
    liveMap = await startService('live-map', await freePort(), {
      ...common,
      LIVE_MAP_BOOKING_URL: booking.baseUrl,
      // Nothing listens on port 9: the base map cannot load, as on a machine without internet.
      LIVE_MAP_TILE_URL: 'http://127.0.0.1:9/{z}/{x}/{y}.png',
    });
    const api = new BookingApi(booking.baseUrl);
    const operator = await api.login(TEST_OPERATOR.email, TEST_OPERATOR.password);
    const { west, south, east, north } = AREA;
    const zone = await api.call('/zones', {
      method: 'POST',
      token: operator,
      body: {
        name: 'Mitte',
        kind: 'business_area',
        geometry: {
          type: 'Polygon',
          coordinates: [
            [
              [west, south],
              [east, south],
              [east, north],
              [west, north],
              [west, south],
            ],
          ],
        },
      },
    });
    expect(zone.status).toBe(201);
    const ids = Array.from({ length: 6 }, (_, i) => `BR-${i}`);
    await insertVehicles(db.client, ids);
    for (const [i, id] of ids.entries()) {
      const car = new SimulatedCar({
        url: broker.url,
        vehicleId: id,
        lat: 52.518 + (i % 3) * 0.002,
        lon: 13.399 + Math.floor(i / 3) * 0.008,
      });
      await car.connect();
      await car.publishSample();
      cars.push(car);
    }
    await waitFor(
      async () =>
        (await db.client.query(`SELECT 1 FROM vehicle_state WHERE position IS NOT NULL`)).rowCount ===
        ids.length,
      10_000,
      'cars stored',
    );
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.on('console', (m) => pageLog.push(`${m.type()}: ${m.text()}`));
    page.on('pageerror', (err) => pageLog.push(`error: ${err.message}`));
  }, 90_000);

  afterAll(async () => {
    // The screen as the test left it, pass or fail, and what the page logged.
    mkdirSync(ARTIFACTS, { recursive: true });
    await page?.screenshot({ path: resolve(ARTIFACTS, 'live-map.png') }).catch(() => undefined);
    writeFileSync(resolve(ARTIFACTS, 'live-map-console.log'), pageLog.join('\n'));
    await browser?.close();
    await Promise.all(cars.map((c) => c.disconnect().catch(() => undefined)));
    await Promise.all([liveMap, booking, gateway].map((s) => s?.kill()));
    await broker?.stop();
    await db?.drop();
  }, 30_000);

  it("logs in, shows the cars, moves a marker when its car publishes, and shows a car's details on click", async () => {
    await page.goto(liveMap.baseUrl);
    await page.fill('input[name=email]', TEST_OPERATOR.email);
    await page.fill('input[name=password]', TEST_OPERATOR.password);
    await page.click('button[type=submit]');

    // Every car is drawn, coloured by state, and the counts say so.
    await page.waitForFunction(
      (n) => document.querySelectorAll('[data-vehicle-id]').length === n,
      cars.length,
      { timeout: 15_000 },
    );
    expect(await page.locator('[data-state="available"][data-vehicle-id]').count()).toBe(cars.length);
    await page.waitForFunction(
      (n) => document.getElementById('total')?.textContent === String(n),
      cars.length,
      { timeout: 10_000 },
    );
    await expect(page.locator('#connection').textContent()).resolves.toBe('live');
    // The tiles failed, the page says so, and the zone is on the map all the same.
    await page.waitForFunction(
      () => /unreachable/.test(document.getElementById('notice')?.textContent ?? ''),
      undefined,
      { timeout: 10_000 },
    );
    expect(await page.locator('path.leaflet-interactive').count()).toBeGreaterThan(0);

    // A car drives 300 m east: its marker follows.
    const car = cars[0];
    const before = (await markerBox(car.vehicleId))!;
    car.move(0, 300);
    await car.publishSample();
    await waitFor(
      async () => ((await markerBox(car.vehicleId))?.x ?? before.x) > before.x + 10,
      5000,
      'the marker moved east',
    );

    // A click shows its state, energy, lock and last fix.
    await page.locator(`[data-vehicle-id="${car.vehicleId}"]`).click();
    const details = page.locator(`[data-details="${car.vehicleId}"]`);
    await details.waitFor({ timeout: 5000 });
    await expect(details.locator('[data-field=state]').textContent()).resolves.toBe('Available');
    await expect(details.locator('[data-field=energy]').textContent()).resolves.toBe('battery 80 %');
    await expect(details.locator('[data-field=lock]').textContent()).resolves.toBe('locked');
    await expect(details.locator('[data-field=fix]').textContent()).resolves.toMatch(/s ago/);
    // Plate and model come from the booking API.
    await page.waitForFunction(
      (id) => /B-FL/.test(document.querySelector(`[data-details="${id}"]`)?.textContent ?? ''),
      car.vehicleId,
      { timeout: 5000 },
    );
  }, 60_000);
});
