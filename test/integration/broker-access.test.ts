import { VEHICLE_CHANGES_PATTERN, SEND_COMMAND_PATTERN } from '@fleet/messaging';
import {
  createTestDatabase,
  freePort,
  insertVehicles,
  MosquittoInstance,
  ServiceProcess,
  startMosquitto,
  TestDatabase,
  TEST_SERVICE_ACCOUNT,
  TEST_VEHICLE_PASSWORD,
  waitFor,
} from '@fleet/testing';
import mqtt, { IClientOptions, MqttClient } from 'mqtt';
import { startGateway } from './platform';

/** A broker the gateway runs with, where cars and services connect. */
interface BrokerUnderTest {
  carUrl: string;
  serviceUrl: string;
  gateway: ServiceProcess;
  stop(): Promise<void>;
}

/** The embedded broker: the gateway checks credentials against the database itself. */
async function embeddedBroker(db: TestDatabase): Promise<BrokerUnderTest> {
  const port = await freePort();
  const gateway = await startGateway({ DATABASE_URL: db.url, MQTT_URL: '' }, { MQTT_PORT: String(port) });
  const url = `mqtt://127.0.0.1:${port}`;
  return { carUrl: url, serviceUrl: url, gateway, stop: async () => void (await gateway.kill('SIGTERM')) };
}

/** Mosquitto with the project's configuration; the gateway keeps its account files (MOSQUITTO_AUTH_DIR). */
async function securedMosquitto(db: TestDatabase): Promise<BrokerUnderTest> {
  const broker: MosquittoInstance = await startMosquitto({ secured: true });
  const gateway = await startGateway(
    { DATABASE_URL: db.url, MQTT_URL: broker.serviceUrl },
    { MOSQUITTO_AUTH_DIR: broker.authDir, MOSQUITTO_AUTH_SYNC_S: '1' },
  );
  return {
    carUrl: broker.url,
    serviceUrl: broker.serviceUrl,
    gateway,
    stop: async () => {
      await gateway.kill('SIGTERM');
      await broker.stop();
    },
  };
}

const PREFIX = 'fleet/v1';
const topic = (id: string, channel: string) => `${PREFIX}/vehicles/${id}/${channel}`;
const sample = (seq: number) =>
  JSON.stringify({ ts: Date.now(), lat: 52.52, lon: 13.405, locked: true, seq });

describe.each([
  ['the embedded broker', embeddedBroker],
  ['Mosquitto with docker/mosquitto/mosquitto.conf', securedMosquitto],
])('broker access on %s', (_name, start) => {
  let db: TestDatabase;
  let broker: BrokerUnderTest;
  const clients: MqttClient[] = [];

  const connect = async (url: string, options: IClientOptions): Promise<MqttClient> => {
    const client = await mqtt.connectAsync(url, { protocolVersion: 4, reconnectPeriod: 0, ...options });
    clients.push(client);
    return client;
  };
  const car = (id: string, options: IClientOptions = {}) =>
    connect(broker.carUrl, { clientId: id, username: id, password: TEST_VEHICLE_PASSWORD, ...options });
  const service = (name: string) =>
    connect(broker.serviceUrl, { clientId: `fleet.test-${name}`, ...TEST_SERVICE_ACCOUNT });
  /** A service client that records every message on every topic, as `topic payload`. */
  const spy = async () => {
    const client = await service(`spy-${clients.length}`);
    const seen: string[] = [];
    client.on('message', (t, payload) => seen.push(`${t} ${payload.toString()}`));
    await client.subscribeAsync(['#', '$SYS/#'], { qos: 1 });
    return seen;
  };
  const closes = (client: MqttClient) => {
    const counter = { count: 0 };
    client.on('close', () => counter.count++);
    return counter;
  };
  const stored = async (vehicleId: string) =>
    Number(
      (await db.client.query(`SELECT count(*) AS n FROM telemetry WHERE vehicle_id = $1`, [vehicleId]))
        .rows[0].n,
    );

  beforeAll(async () => {
    db = await createTestDatabase();
    await insertVehicles(db.client, ['acc-a', 'acc-b', 'acc-gone']);
    await db.client.query(`UPDATE vehicles SET operational_status = 'removed' WHERE id = 'acc-gone'`);
    broker = await start(db);
    // Mosquitto: until the gateway has written the accounts and the broker reloaded them.
    await waitFor(
      () =>
        car('acc-a').then(
          (c) => (c.end(true), true),
          () => false,
        ),
      15_000,
      'acc-a accepted by the broker',
      200,
    );
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
  });
  afterAll(async () => {
    await broker?.stop();
    await db?.drop();
  });

  it('refuses anonymous clients, wrong passwords, unknown and removed vehicles', async () => {
    const refused = async (url: string, options: IClientOptions) =>
      connect(url, options).then(
        () => 'accepted',
        (err: Error) => err.message,
      );
    const attempts = {
      anonymous: await refused(broker.carUrl, { clientId: 'acc-a' }),
      wrongPassword: await refused(broker.carUrl, {
        clientId: 'acc-a',
        username: 'acc-a',
        password: 'guess',
      }),
      unknown: await refused(broker.carUrl, { username: 'nobody', password: TEST_VEHICLE_PASSWORD }),
      removed: await refused(broker.carUrl, { username: 'acc-gone', password: TEST_VEHICLE_PASSWORD }),
      carAsService: await refused(broker.serviceUrl, {
        username: TEST_SERVICE_ACCOUNT.username,
        password: TEST_VEHICLE_PASSWORD,
      }),
      carOnServiceListener: await refused(broker.serviceUrl, {
        username: 'acc-a',
        password: TEST_VEHICLE_PASSWORD,
      }),
    };
    // The embedded broker has one listener, where a car's account is valid.
    if (broker.carUrl === broker.serviceUrl) attempts.carOnServiceListener = 'not applicable';
    for (const [attempt, outcome] of Object.entries(attempts)) {
      expect([attempt, outcome]).toEqual([attempt, expect.not.stringMatching(/^accepted$/)]);
    }
    expect(attempts.wrongPassword).toMatch(/bad user ?name or password|not authorized/i);
  });

  it('lets a car publish only on its own topics: nothing it sends elsewhere reaches anyone', async () => {
    const seen = await spy();
    const a = await car('acc-a');
    const aCloses = closes(a);
    const forbidden = [
      topic('acc-b', 'telemetry'),
      topic('acc-b', 'status'),
      topic('acc-b', 'command-results'),
      topic('acc-b', 'commands'),
      topic('acc-a', 'commands'),
      VEHICLE_CHANGES_PATTERN,
      SEND_COMMAND_PATTERN,
      'somewhere/else',
    ];
    // Each forged message is a valid sample marked "forged"; every PUBACK comes (no disconnect).
    const forged = JSON.stringify({ ...JSON.parse(sample(1)), forged: true });
    for (const t of forbidden) await a.publishAsync(t, forged, { qos: 1, retain: t.endsWith('/status') });
    await a.publishAsync(topic('acc-a', 'telemetry'), sample(1), { qos: 1 });
    await waitFor(async () => (await stored('acc-a')) >= 1, 10_000, 'acc-a own sample stored');
    await new Promise((r) => setTimeout(r, 500));

    expect(seen.filter((m) => m.includes('"forged"'))).toEqual([]);
    expect(seen.some((m) => m.startsWith(`${topic('acc-a', 'telemetry')} `))).toBe(true);
    expect(await stored('acc-b')).toBe(0);
    expect(aCloses.count).toBe(0);
    // A late subscriber gets no retained status forged for acc-b either.
    const late = await spy();
    await new Promise((r) => setTimeout(r, 300));
    expect(late.filter((m) => m.includes('"forged"'))).toEqual([]);
  });

  it("delivers no will a car set on another car's topic", async () => {
    const seen = await spy();
    const will = {
      topic: topic('acc-b', 'status'),
      payload: Buffer.from('{"online":false}'),
      qos: 1 as const,
    };
    const a = await car('acc-a', { will }).catch(() => null);
    if (a) {
      a.stream.destroy();
      await new Promise((r) => setTimeout(r, 1000));
    }
    expect(seen.filter((m) => m.startsWith(`${will.topic} `))).toEqual([]);
  });

  it('lets a car subscribe only to its own commands', async () => {
    const a = await car('acc-a');
    const b = await car('acc-b');
    const aGot: string[] = [];
    const bGot: string[] = [];
    a.on('message', (t) => aGot.push(t));
    b.on('message', (t) => bGot.push(t));
    // The embedded broker refuses these in its SUBACK (0x80); Mosquitto grants them and delivers
    // nothing its ACL does not allow. Either way: nothing of acc-b's reaches acc-a.
    const attempts = [
      topic('acc-b', 'commands'),
      `${PREFIX}/vehicles/+/commands`,
      '#',
      topic('acc-b', 'telemetry'),
    ];
    for (const filter of attempts) {
      const granted = await a.subscribeAsync(filter, { qos: 1 }).then(
        (g) => g[0].qos,
        () => 128,
      );
      if (broker.carUrl === broker.serviceUrl) expect([filter, granted]).toEqual([filter, 128]);
    }
    expect((await a.subscribeAsync(topic('acc-a', 'commands'), { qos: 1 }))[0].qos).toBe(1);
    await b.subscribeAsync(topic('acc-b', 'commands'), { qos: 1 });

    const platform = await service('commands');
    await platform.publishAsync(topic('acc-b', 'commands'), '{"commandId":"x"}', { qos: 1 });
    await platform.publishAsync(topic('acc-a', 'commands'), '{"commandId":"y"}', { qos: 1 });
    await b.publishAsync(topic('acc-b', 'telemetry'), sample(2), { qos: 1 });
    await waitFor(() => aGot.length >= 1 && bGot.length >= 1, 5000, 'each car its own command');
    await new Promise((r) => setTimeout(r, 500));

    expect(aGot).toEqual([topic('acc-a', 'commands')]);
    expect(bGot).toEqual([topic('acc-b', 'commands')]);
  });

  it("keeps a car from taking over another client's session with its client id", async () => {
    const b = await car('acc-b');
    const bCloses = closes(b);
    // acc-a claims acc-b's client id: the broker makes it acc-a's own (its username).
    await car('acc-a', { clientId: 'acc-b' });
    await new Promise((r) => setTimeout(r, 500));
    expect(bCloses.count).toBe(0);
    expect(b.connected).toBe(true);
  });

  it('lets a car registered while running connect within seconds', async () => {
    await insertVehicles(db.client, ['acc-new']);
    const started = Date.now();
    await waitFor(
      () =>
        car('acc-new').then(
          () => true,
          () => false,
        ),
      15_000,
      'acc-new accepted',
      200,
    );
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
