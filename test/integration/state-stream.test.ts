import { VEHICLE_CHANGES_PATTERN, VehicleChange } from '@fleet/messaging';
import { waitFor } from '@fleet/testing';
import mqtt, { MqttClient } from 'mqtt';
import { GatewayHarness } from './gateway-harness';

/** After each commit the gateway tells the other services what changed, on the internal stream. */
describe('state stream (gateway process, Mosquitto)', () => {
  const h = new GatewayHarness();
  let listener: MqttClient;
  const changes: VehicleChange[] = [];

  beforeAll(async () => {
    await h.start();
    listener = await mqtt.connectAsync(h.broker.url);
    await listener.subscribeAsync(VEHICLE_CHANGES_PATTERN);
    listener.on('message', (_topic, payload) => {
      // Nest's MQTT transport wraps events as {pattern, data}.
      const { data } = JSON.parse(payload.toString()) as { data: { changes: VehicleChange[] } };
      changes.push(...data.changes);
    });
  });
  afterAll(async () => {
    await listener.endAsync();
    await h.stop();
  });

  const changesOf = (id: string) => changes.filter((c) => c.id === id);

  it('announces a car coming online, its position, a lock change, and going offline', async () => {
    const [car] = await h.registerCars(['stream-1'], { lat: 53.55, lon: 9.99 });
    await waitFor(
      () => changesOf('stream-1').some((c) => c.online && c.kinds.includes('online')),
      10_000,
      'online change',
    );

    const sample = await car.publishSample({ speedKmh: 12.5, batteryPct: 64 });
    const moved = await waitFor(
      () => changesOf('stream-1').find((c) => c.kinds.includes('position')),
      10_000,
      'position change',
    );
    expect(moved).toMatchObject({
      id: 'stream-1',
      lat: 53.55,
      lon: 9.99,
      speedKmh: 12.5,
      batteryPct: 64,
      locked: true,
      online: true,
      state: 'available',
      fixAt: new Date(sample.ts).toISOString(),
    });

    car.locked = false;
    await car.publishSample();
    await waitFor(
      () => changesOf('stream-1').find((c) => c.kinds.includes('lock') && c.locked === false),
      10_000,
      'lock change',
    );

    await car.dropConnection();
    const offline = await waitFor(
      () => changesOf('stream-1').find((c) => !c.online),
      10_000,
      'offline change',
    );
    expect(offline).toMatchObject({ state: 'non_contactable', kinds: ['online', 'state'] });
  });
});
