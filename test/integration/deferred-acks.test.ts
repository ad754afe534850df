import { MosquittoInstance, startMosquitto, waitFor } from '@fleet/testing';
import mqtt, { MqttClient } from 'mqtt';
import { DeferredAcks } from '../../apps/telemetry-gateway/src/ingest/deferred-acks';

/**
 * DeferredAcks against the real MQTT.js client and a real Mosquitto: the unit tests use a fake
 * client, this holds it to the MQTT.js version we ship. A held PUBACK must not reach the broker (it
 * redelivers the message to the resumed session), a released one must (nothing comes back), and the
 * connection must go on reading while PUBACKs are held.
 */
describe('DeferredAcks with MQTT.js and Mosquitto', () => {
  let broker: MosquittoInstance;
  let publisher: MqttClient;
  const TOPIC = 'test/deferred-acks';

  beforeAll(async () => {
    broker = await startMosquitto();
    publisher = await mqtt.connectAsync(broker.url, { clientId: 'deferred-acks-publisher' });
  });
  afterAll(async () => {
    await publisher?.endAsync();
    await broker?.stop();
  });

  /** A consumer on a persistent session whose PUBACKs go through DeferredAcks. */
  async function consumer(clientId: string) {
    const received: string[] = [];
    const releases: (() => void)[] = [];
    const client = mqtt.connect(broker.url, {
      clientId,
      clean: false,
      protocolVersion: 4,
      reconnectPeriod: 0,
    });
    const acks = new DeferredAcks(client);
    client.handleMessage = (packet, callback) => {
      releases.push(acks.hold(() => callback()));
      received.push(String(packet.payload));
    };
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
    });
    await client.subscribeAsync(TOPIC, { qos: 1 });
    return { client, acks, received, releases };
  }

  /** Drops the connection without a DISCONNECT, as a crash does. */
  const crash = (client: MqttClient) =>
    new Promise<void>((resolve) => {
      client.stream.destroy();
      client.end(true, {}, () => resolve());
    });

  it('keeps reading while PUBACKs are held; held messages come again to the resumed session', async () => {
    const first = await consumer('deferred-acks-held');
    expect(first.acks.supported).toBe(true);
    for (const n of [1, 2, 3]) await publisher.publishAsync(TOPIC, `m${n}`, { qos: 1 });
    await waitFor(() => first.received.length === 3, 5000, 'all three received with none acknowledged');
    expect(first.acks.pending).toBe(3);
    await crash(first.client);

    const again = await consumer('deferred-acks-held');
    await waitFor(() => again.received.length === 3, 5000, 'the three redelivered');
    expect(again.received).toEqual(['m1', 'm2', 'm3']);
    for (const release of again.releases) release();
    expect(again.acks.pending).toBe(0);
    await again.client.endAsync();
  });

  it('a released PUBACK reaches the broker: nothing comes again', async () => {
    const first = await consumer('deferred-acks-released');
    for (const n of [1, 2, 3]) await publisher.publishAsync(TOPIC, `r${n}`, { qos: 1 });
    await waitFor(() => first.received.length === 3, 5000, 'all three received');
    // Released out of order: they still go out in arrival order once the oldest is released.
    first.releases[2]();
    first.releases[1]();
    expect(first.acks.pending).toBe(3);
    first.releases[0]();
    expect(first.acks.pending).toBe(0);
    // Let the PUBACKs reach the broker before the crash.
    await new Promise((r) => setTimeout(r, 300));
    await crash(first.client);

    const again = await consumer('deferred-acks-released');
    await publisher.publishAsync(TOPIC, 'marker', { qos: 1 });
    await waitFor(() => again.received.includes('marker'), 5000, 'the marker');
    expect(again.received).toEqual(['marker']);
    again.releases.forEach((release) => release());
    await again.client.endAsync();
  });
});
