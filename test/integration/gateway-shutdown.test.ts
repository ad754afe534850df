import { waitFor } from '@fleet/testing';
import { GatewayHarness } from './gateway-harness';

/**
 * Graceful shutdown (SIGTERM) while commits are stuck on a database outage: readiness goes false at
 * once, the pending batches commit when the database is back and are acknowledged, the MQTT sessions
 * close, and the next gateway gets nothing again from the broker.
 */
describe('gateway stopping (SIGTERM) with batches in flight', () => {
  const h = new GatewayHarness();
  const CARS = 5;

  beforeAll(() =>
    h.start({ GATEWAY_SHUTDOWN_TIMEOUT_S: '30', GATEWAY_INSTANCE_ID: 'shutdown' }, { databaseProxy: true }),
  );
  afterAll(() => h.stop());

  const stored = async () => (await h.query<{ n: number }>(`SELECT count(*)::int AS n FROM telemetry`))[0].n;
  const health = async () => (await fetch(`${h.gateway.baseUrl}/health`)).status;

  it('commits and acknowledges what it holds before it exits, and nothing comes back', async () => {
    const cars = await h.registerCars(Array.from({ length: CARS }, (_, i) => `stop-${i}`));
    // Fix times 200 ms apart, in the past: samples of one car with the same fix time are duplicates.
    const t0 = Date.now() - 120_000;
    let k = 0;
    const publish = (n: number) =>
      Promise.all(
        cars.map(async (car) => {
          for (let i = 0; i < n; i++) await car.publishSample({ ts: t0 + 200 * k++ });
        }),
      );
    await publish(20);
    await waitFor(async () => (await stored()) === CARS * 20, 10_000, 'the first samples stored');

    h.dbProxy!.cut();
    await publish(20); // the broker has them; the gateway holds them, its commits failing
    await waitFor(
      async () => (await h.metric('fleet_telemetry_pending_messages')) > 0,
      5000,
      'samples pending',
    );

    const started = Date.now();
    const exited = h.gateway.kill('SIGTERM');
    await waitFor(async () => (await health()) === 503, 2000, 'readiness false', 20);
    await new Promise((r) => setTimeout(r, 2000));
    h.dbProxy!.restore();
    expect(await exited).toBe('SIGTERM');
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(await stored()).toBe(CARS * 40);

    // Everything was acknowledged before the exit: the next gateway on the same sessions receives
    // only what is new (no redelivery, so no duplicates).
    await h.startGateway();
    await publish(1);
    await waitFor(async () => (await stored()) === CARS * 41, 10_000, 'the new samples stored');
    expect(await h.metric('fleet_telemetry_duplicates_total')).toBe(0);
    expect(await h.metric('fleet_telemetry_messages_received_total')).toBe(CARS);
  });
});
