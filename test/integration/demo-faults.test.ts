import { DemoCity, DemoFleet, demoVehicles, seedDemoVehicles } from '@fleet/simulator';
import {
  createTestDatabase,
  MosquittoInstance,
  ServiceProcess,
  startMosquitto,
  TestDatabase,
  waitFor,
  TEST_VEHICLE_PASSWORD,
} from '@fleet/testing';
import { startGateway } from './platform';

/**
 * The simulator's fault mode against the real gateway: every bad message it sends (a jump across the
 * city, garbage) lands in quarantine, with the reason it deserves; duplicates and out-of-order samples
 * are absorbed; nothing else is quarantined.
 */
describe('demo fleet fault mode through the gateway', () => {
  let db: TestDatabase;
  let broker: MosquittoInstance;
  let gateway: ServiceProcess;

  beforeAll(async () => {
    db = await createTestDatabase();
    broker = await startMosquitto();
    gateway = await startGateway({ DATABASE_URL: db.url, MQTT_URL: broker.url });
  }, 60_000);

  afterAll(async () => {
    await gateway?.kill();
    await broker?.stop();
    await db?.drop();
  });

  it('quarantines every jump and every piece of garbage, and nothing else', async () => {
    const vehicles = demoVehicles(12);
    await seedDemoVehicles(db.client, vehicles, TEST_VEHICLE_PASSWORD);
    const fleet = new DemoFleet(DemoCity.berlin(), {
      brokerUrl: broker.url,
      mqttPassword: TEST_VEHICLE_PASSWORD,
      bookingUrl: null,
      drivers: 0,
      timing: {
        parkedReportMs: 400,
        drivingReportMs: [1000, 2000],
        tunnelChance: 0,
        tunnelMs: [0, 0],
        dropChancePerMin: 0,
        offlineMs: [0, 0],
        faultChance: 0.5,
      },
      seed: 11,
      log: { info: () => undefined, warn: () => undefined },
    });
    await fleet.start(vehicles, new Map());
    await new Promise((r) => setTimeout(r, 8_000));
    await fleet.stop();
    const faults = [...fleet.cars.values()].reduce(
      (sum, car) => ({
        duplicates: sum.duplicates + car.faults.duplicates,
        outOfOrder: sum.outOfOrder + car.faults.outOfOrder,
        jumps: sum.jumps + car.faults.jumps,
        garbage: sum.garbage + car.faults.garbage,
      }),
      { duplicates: 0, outOfOrder: 0, jumps: 0, garbage: 0 },
    );
    for (const n of Object.values(faults)) expect(n).toBeGreaterThan(3);
    const quarantined = async () =>
      (
        await db.client.query<{ reason: string; n: number }>(
          `SELECT reason, count(*)::int AS n FROM telemetry_quarantine GROUP BY reason ORDER BY reason`,
        )
      ).rows;
    await waitFor(
      async () => (await quarantined()).reduce((s, r) => s + r.n, 0) >= faults.jumps + faults.garbage,
      10_000,
      'every bad message in quarantine',
    );
    await new Promise((r) => setTimeout(r, 1000)); // and no more than that
    const rows = await quarantined();
    const count = (reason: string) => rows.find((r) => r.reason === reason)?.n ?? 0;
    expect(count('IMPLAUSIBLE_SPEED')).toBe(faults.jumps);
    expect(count('MALFORMED_JSON') + count('SCHEMA_VIOLATION')).toBe(faults.garbage);
    expect(rows.map((r) => r.reason).sort()).toEqual(
      expect.arrayContaining(['IMPLAUSIBLE_SPEED', 'MALFORMED_JSON', 'SCHEMA_VIOLATION']),
    );
    expect(rows).toHaveLength(3);
  }, 60_000);
});
