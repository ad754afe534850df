import { SimulatedCar } from '@fleet/simulator';
import { GatewayHarness } from './gateway-harness';

/**
 * At-least-once end to end: the gateway is killed with SIGKILL twice while cars publish; every
 * sample the cars published is stored exactly once (the broker redelivers what was not acknowledged,
 * duplicates are absorbed).
 */
describe('gateway killed under load (SIGKILL) and restarted', () => {
  const h = new GatewayHarness();
  const CARS = 20;
  const SAMPLES_PER_CAR = 150;

  beforeAll(() => h.start({ GATEWAY_MQTT_CONNECTIONS: '16' }));
  afterAll(() => h.stop());

  it('stores every published sample exactly once', async () => {
    const cars = await h.registerCars(
      Array.from({ length: CARS }, (_, i) => `crash-${i}`),
      { lat: 48.137, lon: 11.575 },
    );
    const start = Date.now() - SAMPLES_PER_CAR * 1000;
    let published = 0;
    // Each car publishes its samples in order, one every few ms; the broker acknowledges each.
    const publishAll = Promise.all(
      cars.map(async (car: SimulatedCar) => {
        for (let i = 0; i < SAMPLES_PER_CAR; i++) {
          car.move(5, 0);
          await car.publishSample({ ts: start + i * 1000 });
          published++;
          await new Promise((r) => setTimeout(r, 8));
        }
      }),
    );

    for (const atFraction of [0.25, 0.6]) {
      while (published < CARS * SAMPLES_PER_CAR * atFraction) await new Promise((r) => setTimeout(r, 20));
      await h.gateway.kill('SIGKILL');
      await new Promise((r) => setTimeout(r, 500)); // cars keep publishing into the broker meanwhile
      await h.startGateway();
    }
    await publishAll;
    expect(published).toBe(CARS * SAMPLES_PER_CAR);

    await h.waitForValue(`SELECT count(*)::int FROM telemetry`, [], CARS * SAMPLES_PER_CAR, 60_000);
    const [counts] = await h.query<{
      total: number;
      distinct_seq: number;
      per_car_min: number;
      per_car_max: number;
    }>(
      `SELECT count(*)::int AS total, count(DISTINCT (vehicle_id, seq))::int AS distinct_seq,
              min(n)::int AS per_car_min, max(n)::int AS per_car_max
         FROM telemetry, LATERAL (SELECT count(*) AS n FROM telemetry t2 WHERE t2.vehicle_id = telemetry.vehicle_id) c`,
    );
    expect(counts).toEqual({
      total: CARS * SAMPLES_PER_CAR,
      distinct_seq: CARS * SAMPLES_PER_CAR,
      per_car_min: SAMPLES_PER_CAR,
      per_car_max: SAMPLES_PER_CAR,
    });
    // Every car's latest state is its last sample.
    const latest = await h.query<{ seq: string }>(
      `SELECT seq FROM vehicle_state WHERE vehicle_id LIKE 'crash-%'`,
    );
    expect(latest.map((r) => Number(r.seq))).toEqual(Array(CARS).fill(SAMPLES_PER_CAR - 1));
    expect(await h.query(`SELECT reason FROM telemetry_quarantine`)).toEqual([]);
  });
});
