import {
  parseJsonMessage,
  parseTelemetryPayload,
  parseVehicleTopic,
  VehicleStatusDto,
} from '@fleet/contracts';
import { DemoCity, DemoFleet, demoVehicles, seedDemoVehicles } from '@fleet/simulator';
import {
  createTestDatabase,
  MosquittoInstance,
  startMosquitto,
  TestDatabase,
  TEST_VEHICLE_PASSWORD,
} from '@fleet/testing';
import mqtt, { MqttClient } from 'mqtt';

/**
 * The demo's seeding and its simulated cars against a real PostgreSQL and Mosquitto: seeding twice
 * changes nothing, and every message the cars send (parked and driving reports, tunnel batches,
 * status, the will when a link drops) passes the gateway's own contract parsing.
 */
describe('demo city and simulated fleet', () => {
  let db: TestDatabase;
  let broker: MosquittoInstance;
  let spy: MqttClient;
  const city = DemoCity.berlin();

  beforeAll(async () => {
    db = await createTestDatabase();
    broker = await startMosquitto();
    spy = await mqtt.connectAsync(broker.url);
    await spy.subscribeAsync('fleet/v1/vehicles/+/+');
  });

  afterAll(async () => {
    await spy?.endAsync();
    await broker?.stop();
    await db?.drop();
  });

  it('seeds the cars once: a second run adds nothing', async () => {
    const vehicles = demoVehicles(40);
    expect(await seedDemoVehicles(db.client, vehicles, TEST_VEHICLE_PASSWORD)).toBe(40);
    expect(await seedDemoVehicles(db.client, vehicles, TEST_VEHICLE_PASSWORD)).toBe(0);
    const types = await db.client.query<{ vehicle_type_id: string; n: number }>(
      `SELECT vehicle_type_id, count(*)::int AS n FROM vehicles GROUP BY 1 ORDER BY 1`,
    );
    expect(types.rows).toEqual([
      { vehicle_type_id: 'compact-combustion', n: 20 },
      { vehicle_type_id: 'compact-electric', n: 20 },
    ]);
  });

  it('sends only messages the gateway accepts: reports, tunnel batches, status and wills', async () => {
    const seen = { telemetry: 0, batches: 0, samples: 0, online: 0, offline: 0, rejects: [] as string[] };
    spy.on('message', (topic, payload) => {
      const parsed = parseVehicleTopic('fleet/v1', topic);
      if (!parsed) return void seen.rejects.push(`bad topic ${topic}`);
      if (parsed.channel === 'telemetry') {
        const result = parseTelemetryPayload(parsed.vehicleId, payload);
        seen.telemetry++;
        seen.samples += result.samples.length;
        if (payload.toString().startsWith('[')) seen.batches++;
        for (const r of result.rejects) seen.rejects.push(`${r.reason}: ${r.details}`);
      } else if (parsed.channel === 'status') {
        const status = parseJsonMessage(VehicleStatusDto, payload, 'status');
        if (!status.ok) seen.rejects.push(`status: ${status.details}`);
        else if (status.value.online) seen.online++;
        else seen.offline++;
      }
    });
    const fleet = new DemoFleet(city, {
      brokerUrl: broker.url,
      mqttPassword: TEST_VEHICLE_PASSWORD,
      bookingUrl: null,
      drivers: 0,
      // Everything happens often here: parked reports every second, tunnels on half the driving
      // reports, links dropping about every 20 s a car.
      timing: {
        parkedReportMs: 1000,
        drivingReportMs: [500, 1500],
        tunnelChance: 0.5,
        tunnelMs: [1500, 2500],
        dropChancePerMin: 3,
        offlineMs: [500, 1000],
      },
      seed: 7,
      log: { info: () => undefined, warn: () => undefined },
    });
    const vehicles = demoVehicles(20);
    await fleet.start(vehicles, new Map());
    const drivers = [...fleet.cars.values()].slice(0, 8);
    for (const car of drivers) void car.drive(city.randomSpot(Math.random));
    await new Promise((r) => setTimeout(r, 10_000));
    await fleet.stop();
    expect(seen.rejects).toEqual([]);
    expect(seen.telemetry).toBeGreaterThan(100);
    expect(seen.batches).toBeGreaterThan(0);
    expect(seen.samples).toBeGreaterThan(seen.telemetry);
    expect(seen.online).toBeGreaterThanOrEqual(20);
    expect(seen.offline).toBeGreaterThan(0);
    // The driving cars moved, at street speeds, and stayed inside the city.
    for (const car of drivers) {
      expect(city.inArea(car.position)).toBe(true);
      expect(car.car.speedKmh).toBeLessThanOrEqual(50);
    }
  }, 30_000);
});
