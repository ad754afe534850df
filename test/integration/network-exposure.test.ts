import { devSecrets, devSecretsPath, SERVICE_ACCOUNTS } from '@fleet/config';
import {
  createTestDatabase,
  freePort,
  ServiceProcess,
  startMosquitto,
  startService,
  TEST_SERVICE_ACCOUNT,
  TestDatabase,
  waitFor,
} from '@fleet/testing';
import mqtt from 'mqtt';
import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { startBooking, startGateway, TEST_OPERATOR } from './platform';

/** The values earlier versions of the repository held as development defaults (CONTRACT.md 6). */
const OLD_DEV = {
  JWT_SECRET: 'fleet-development-secret-do-not-use-in-production',
  MQTT_PASSWORD: 'fleet-service-development-password',
  FLEET_OPERATOR_PASSWORD: 'operator-password',
};

/** Real secrets, as a deployment sets them. */
const REAL = {
  JWT_SECRET: 'a-deployment-signing-key-of-40-characters!',
  FLEET_OPERATOR_PASSWORD: 'a deployment password',
  MQTT_GATEWAY_PASSWORD: 'gateway-broker-password',
  MQTT_BOOKING_PASSWORD: 'booking-broker-password',
  MQTT_LIVE_MAP_PASSWORD: 'live-map-broker-password',
};

/** The service run to its end with `env` (it must refuse to start): exit code and what it printed. */
function runToExit(
  name: 'telemetry-gateway' | 'booking' | 'live-map',
  env: Record<string, string>,
): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [resolve(__dirname, `../../dist/apps/${name}/main.js`)], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  return new Promise((done) =>
    child.once('exit', (code) => {
      clearTimeout(killer);
      done({ code, output });
    }),
  );
}

/** Whether a TCP connection to host:port is accepted. */
function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ host, port, timeout: 2000 });
    socket.once('connect', () => (socket.destroy(), done(true)));
    socket.once('error', () => done(false));
    socket.once('timeout', () => (socket.destroy(), done(false)));
  });
}

/** This machine's first address that is not loopback (others on the network reach it there). */
const outsideAddress = Object.values(networkInterfaces())
  .flat()
  .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;

/** Whether the broker at `url` lets these credentials in. */
async function brokerAccepts(url: string, username: string, password: string): Promise<boolean> {
  const client = mqtt.connect(url, { username, password, reconnectPeriod: 0, connectTimeout: 5000 });
  const accepted = await new Promise<boolean>((done) => {
    client.once('connect', () => done(true));
    client.once('error', () => done(false));
    client.once('close', () => done(false));
  });
  await client.endAsync(true);
  return accepted;
}

describe('safe on a network: closed by default', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db?.drop());

  test.each([
    ['booking', ['JWT_SECRET', 'FLEET_OPERATOR_PASSWORD', 'MQTT_BOOKING_PASSWORD']],
    ['live-map', ['JWT_SECRET', 'MQTT_LIVE_MAP_PASSWORD']],
    ['telemetry-gateway', ['MQTT_GATEWAY_PASSWORD', 'MQTT_BOOKING_PASSWORD', 'MQTT_LIVE_MAP_PASSWORD']],
  ] as const)(
    '%s refuses to listen beyond loopback without real secrets, naming them',
    async (name, missing) => {
      const run = await runToExit(name, { DATABASE_URL: db.url, BIND_HOST: '0.0.0.0' });
      expect(run.code).not.toBe(0);
      expect(run.output).toContain(
        `${missing.join(', ')} must be set to listen on 0.0.0.0 (beyond loopback)`,
      );
    },
  );

  test.each(Object.entries(OLD_DEV).filter(([name]) => name !== 'MQTT_PASSWORD'))(
    'booking refuses the old development %s, even on loopback',
    async (name, value) => {
      const run = await runToExit('booking', { DATABASE_URL: db.url, [name]: value });
      expect(run.code).not.toBe(0);
      expect(run.output).toContain(`${name} is a development value published in the Fleet repository`);
    },
  );

  test('the gateway refuses the old services password as any service password', async () => {
    const run = await runToExit('telemetry-gateway', {
      DATABASE_URL: db.url,
      MQTT_BOOKING_PASSWORD: OLD_DEV.MQTT_PASSWORD,
    });
    expect(run.code).not.toBe(0);
    expect(run.output).toContain(
      'MQTT_BOOKING_PASSWORD is a development value published in the Fleet repository',
    );
  });

  test('production refuses to start on development secrets, beyond loopback or not', async () => {
    const run = await runToExit('live-map', { DATABASE_URL: db.url, PRODUCTION: 'true' });
    expect(run.code).not.toBe(0);
    expect(run.output).toContain('JWT_SECRET must be set in production');
    expect(run.output).toContain('MQTT_LIVE_MAP_PASSWORD must be set in production');
  });

  describe('started without secrets', () => {
    let gateway: ServiceProcess;
    let booking: ServiceProcess;
    let mqttPort: number;
    beforeAll(async () => {
      mqttPort = await freePort();
      gateway = await startGateway({ DATABASE_URL: db.url, MQTT_URL: '' }, { MQTT_PORT: String(mqttPort) });
      booking = await startBooking({ DATABASE_URL: db.url, MQTT_URL: `mqtt://127.0.0.1:${mqttPort}` });
    }, 60_000);
    afterAll(async () => {
      await booking?.kill();
      await gateway?.kill();
    });

    (outsideAddress ? test : test.skip)(
      `listens on loopback only: HTTP and the embedded broker are closed at ${outsideAddress}`,
      async () => {
        expect(await accepts('127.0.0.1', booking.port)).toBe(true);
        expect(await accepts('127.0.0.1', mqttPort)).toBe(true);
        expect(await accepts(outsideAddress!, booking.port)).toBe(false);
        expect(await accepts(outsideAddress!, gateway.port)).toBe(false);
        expect(await accepts(outsideAddress!, mqttPort)).toBe(false);
      },
    );

    test('the old development values log in nowhere: embedded broker, operator login', async () => {
      const url = `mqtt://127.0.0.1:${mqttPort}`;
      for (const username of ['fleet-service', ...Object.values(SERVICE_ACCOUNTS).map((a) => a.username)])
        expect(await brokerAccepts(url, username, OLD_DEV.MQTT_PASSWORD)).toBe(false);
      // This installation's own development secret does.
      expect(await brokerAccepts(url, TEST_SERVICE_ACCOUNT.username, TEST_SERVICE_ACCOUNT.password)).toBe(
        true,
      );
      const login = await fetch(`${booking.baseUrl}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: TEST_OPERATOR.email, password: OLD_DEV.FLEET_OPERATOR_PASSWORD }),
      });
      expect(login.status).toBe(401);
    });

    test('metrics and the API description are open outside production', async () => {
      expect((await fetch(`${gateway.baseUrl}/metrics`)).status).toBe(200);
      expect((await fetch(`${booking.baseUrl}/api/docs-json`)).status).toBe(200);
    });
  });

  test('the old services password does not log in to Mosquitto with the project configuration', async () => {
    const mosquitto = await startMosquitto({ secured: true });
    const gateway = await startGateway(
      { DATABASE_URL: db.url, MQTT_URL: mosquitto.serviceUrl },
      { MOSQUITTO_AUTH_DIR: mosquitto.authDir, MOSQUITTO_AUTH_SYNC_S: '1' },
    );
    try {
      await waitFor(
        () =>
          brokerAccepts(mosquitto.serviceUrl, TEST_SERVICE_ACCOUNT.username, TEST_SERVICE_ACCOUNT.password),
        15_000,
        'the gateway account',
      );
      for (const username of ['fleet-service', ...Object.values(SERVICE_ACCOUNTS).map((a) => a.username)])
        expect(await brokerAccepts(mosquitto.serviceUrl, username, OLD_DEV.MQTT_PASSWORD)).toBe(false);
    } finally {
      await gateway.kill();
      await mosquitto.stop();
    }
  }, 60_000);

  test('in production the gateway hides /metrics unless METRICS_TOKEN is set, and booking its API description', async () => {
    const mqttPort = await freePort();
    const production = { DATABASE_URL: db.url, PRODUCTION: 'true', MQTT_URL: '', ...REAL };
    const hidden = await startGateway(production, { MQTT_PORT: String(mqttPort) });
    let booking: ServiceProcess | undefined;
    let guarded: ServiceProcess | undefined;
    try {
      expect((await fetch(`${hidden.baseUrl}/metrics`)).status).toBe(404);
      booking = await startService('booking', await freePort(), {
        ...production,
        MQTT_URL: `mqtt://127.0.0.1:${mqttPort}`,
        SMTP_URL: 'smtp://127.0.0.1:2525',
      });
      expect((await fetch(`${booking.baseUrl}/api/docs-json`)).status).toBe(404);
      expect((await fetch(`${booking.baseUrl}/api/docs`)).status).toBe(404);
      guarded = await startGateway(production, {
        MQTT_PORT: String(await freePort()),
        METRICS_TOKEN: 'a-scraper-token-123',
      });
      expect((await fetch(`${guarded.baseUrl}/metrics`)).status).toBe(401);
      const scrape = await fetch(`${guarded.baseUrl}/metrics`, {
        headers: { authorization: 'Bearer a-scraper-token-123' },
      });
      expect(scrape.status).toBe(200);
      expect(await scrape.text()).toContain('# HELP');
    } finally {
      await booking?.kill();
      await guarded?.kill();
      await hidden.kill();
    }
  }, 90_000);

  test('the development secrets file is private to its owner', () => {
    devSecrets();
    expect(statSync(devSecretsPath()).mode & 0o777).toBe(0o600);
  });
});
