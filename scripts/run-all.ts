/**
 * Runs every service as its own process, the way production runs them: the gateway first (it embeds
 * the MQTT broker when MQTT_URL is unset), then booking and live-map; before them, without SMTP_URL,
 * a development mail server with a web inbox (maildev) that booking sends to. Stops them all on
 * Ctrl-C or SIGTERM, and all of them when one dies.
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { resolve } from 'node:path';
import { devSecretsPath } from '../libs/config/src/dev-secrets';
import { SERVICE_NODE_ARGS } from '../libs/service-kit/src/node-args';
import { DEMO_DRIVER } from './demo-accounts';

const SERVICES = [
  { name: 'telemetry-gateway', portVar: 'GATEWAY_PORT', port: 3002 },
  { name: 'booking', portVar: 'BOOKING_PORT', port: 3000 },
  { name: 'live-map', portVar: 'LIVE_MAP_PORT', port: 3001 },
] as const;

const children: ChildProcess[] = [];
let stopping = false;

/** The demo city and its simulated fleet: on unless FLEET_DEMO says otherwise or in production. */
function demoOn(env: NodeJS.ProcessEnv): boolean {
  const flag = (env.FLEET_DEMO ?? '').toLowerCase();
  if (['1', 'true', 'on', 'yes'].includes(flag)) return true;
  if (['0', 'false', 'off', 'no'].includes(flag)) return false;
  return env.NODE_ENV !== 'production';
}

/** The demo's 25 simulated drivers all call from this machine: lift the per-address limits for them. */
const DEMO_BOOKING_ENV = {
  THROTTLE_AUTH_PER_MIN: '600',
  THROTTLE_WRITES_PER_MIN: '3000',
  THROTTLE_NEARBY_PER_MIN: '60000',
};

/** Where booking looks for Redis when REDIS_URL is unset (scripts/setup.sh starts one there). */
const LOCAL_REDIS_URL = 'redis://127.0.0.1:6379';

/** Whether a Redis answers at `url` (scripts/redis-ping.js, as scripts/setup.sh asks). */
function redisAnswers(url: string): boolean {
  const ping = spawnSync(process.execPath, [resolve(__dirname, 'redis-ping.js')], {
    env: { ...process.env, REDIS_URL: url },
    stdio: 'ignore',
  });
  return ping.status === 0;
}

/** Production mode as the services decide it: PRODUCTION when set, else NODE_ENV. */
function production(env: NodeJS.ProcessEnv): boolean {
  const flag = (env.PRODUCTION ?? '').toLowerCase();
  if (['1', 'true', 'on', 'yes'].includes(flag)) return true;
  if (['0', 'false', 'off', 'no'].includes(flag)) return false;
  return env.NODE_ENV === 'production';
}

interface MailInbox {
  smtpUrl: string;
  webUrl: string;
}

/**
 * The development mail server: maildev (SMTP and a web inbox), both on loopback only, since whoever
 * reaches the inbox reads every one-time link in it. Its mail is kept in .tmp/maildev, so the inbox
 * outlives a restart. Null, after saying why, when maildev (a development dependency) is not installed:
 * booking then logs each mail instead of sending it.
 */
async function startMailInbox(env: NodeJS.ProcessEnv): Promise<MailInbox | null> {
  let bin: string;
  try {
    bin = require.resolve('maildev/bin/maildev');
  } catch {
    console.error(
      '[fleet] maildev is not installed (a development dependency): booking logs mail instead of sending it',
    );
    return null;
  }
  const smtpPort = Number(env.MAILDEV_SMTP_PORT ?? 1025);
  const webPort = Number(env.MAILDEV_WEB_PORT ?? 1080);
  for (const [port, variable] of [
    [smtpPort, 'MAILDEV_SMTP_PORT'],
    [webPort, 'MAILDEV_WEB_PORT'],
  ] as const) {
    if (!(await portFree(port))) {
      throw new Error(
        `port ${port} for the development mail server is taken (another maildev?); set ${variable} to another port,` +
          ' or send to a mail server of your own: SMTP_URL=smtp://... npm start',
      );
    }
  }
  const mailDir = resolve(__dirname, '../.tmp/maildev');
  mkdirSync(mailDir, { recursive: true });
  const child = spawn(
    process.execPath,
    [
      bin,
      '--silent',
      '--ip',
      '127.0.0.1',
      '--smtp',
      String(smtpPort),
      '--web',
      String(webPort),
      '--mail-directory',
      mailDir,
    ],
    { env, stdio: 'inherit' },
  );
  children.push(child);
  child.once('exit', (code, signal) => {
    if (!stopping) {
      console.error(`[fleet] the mail server stopped (${signal ?? `code ${code}`}); stopping the others`);
      stopAll(code || 1);
    }
  });
  const webUrl = `http://127.0.0.1:${webPort}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the mail server exited with code ${child.exitCode}`);
    try {
      if ((await canConnect(smtpPort)) && (await fetch(`${webUrl}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error('the mail server did not start within 30 s');
    await new Promise((r) => setTimeout(r, 250));
  }
  return { smtpUrl: `smtp://127.0.0.1:${smtpPort}`, webUrl: `http://localhost:${webPort}/` };
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), done(true)));
    socket.once('error', () => done(false));
  });
}

/** Where booking's mail goes, for the banner; never SMTP_URL itself, which may hold a password. */
function mailLine(env: NodeJS.ProcessEnv, inbox: MailInbox | null): string {
  if (inbox) return `  mail inbox      ${inbox.webUrl}  (maildev; booking sends to ${inbox.smtpUrl})`;
  if (env.SMTP_URL) return `  mail            sent through SMTP_URL (${new URL(env.SMTP_URL).host})`;
  return '  mail            not sent, logged by booking (no SMTP_URL)';
}

function portFree(port: number): Promise<boolean> {
  return new Promise((done) => {
    const server = createServer();
    server.once('error', () => done(false));
    server.listen(port, '0.0.0.0', () => server.close(() => done(true)));
  });
}

async function waitHealthy(port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`exited with code ${child.exitCode}`);
    try {
      if ((await fetch(`http://127.0.0.1:${port}/health`)).status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error('no healthy /health within 60 s');
}

function stopAll(code: number): void {
  if (stopping) return;
  stopping = true;
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  const force = setTimeout(() => children.forEach((c) => c.exitCode === null && c.kill('SIGKILL')), 20_000);
  force.unref();
  void Promise.all(
    children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r)))),
  ).then(() => process.exit(code));
}

async function main(): Promise<void> {
  const demo = demoOn(process.env);
  const env: NodeJS.ProcessEnv = demo ? { ...DEMO_BOOKING_ENV, ...process.env } : { ...process.env };
  // Booking's rate limits in the local Redis when there is one; without, booking counts in each process
  // and says so at start.
  const bookingEnv: NodeJS.ProcessEnv =
    !env.REDIS_URL && redisAnswers(LOCAL_REDIS_URL) ? { REDIS_URL: LOCAL_REDIS_URL } : {};
  if (!env.MQTT_URL) {
    const mqttPort = Number(env.MQTT_PORT ?? 1883);
    if (!(await portFree(mqttPort))) {
      console.error(
        `[fleet] port ${mqttPort} is taken (another MQTT broker?). Either use it: MQTT_URL=mqtt://127.0.0.1:${mqttPort} npm start,` +
          ` or move the embedded broker: MQTT_PORT=1884 npm start`,
      );
      process.exit(1);
    }
  }
  // In production booking refuses to start without SMTP_URL: no development inbox to stand in for it.
  const inbox = !env.SMTP_URL && !production(env) ? await startMailInbox(env) : null;
  if (inbox) env.SMTP_URL = inbox.smtpUrl;
  for (const service of SERVICES) {
    const port = Number(env[service.portVar] ?? service.port);
    if (!(await portFree(port))) {
      // Not process.exit: what already runs (the mail server, earlier services) stops with us.
      throw new Error(`port ${port} for ${service.name} is taken; set ${service.portVar} to another port`);
    }
    const main = resolve(__dirname, `../dist/apps/${service.name}/main.js`);
    const child = spawn(process.execPath, [...(SERVICE_NODE_ARGS[service.name] ?? []), main], {
      env: { ...env, ...(service.name === 'booking' ? bookingEnv : {}), [service.portVar]: String(port) },
      stdio: 'inherit',
    });
    children.push(child);
    child.once('exit', (code, signal) => {
      if (!stopping) {
        console.error(`[fleet] ${service.name} stopped (${signal ?? `code ${code}`}); stopping the others`);
        stopAll(code || 1);
      }
    });
    await waitHealthy(port, child);
  }
  if (demo) {
    const child = spawn(
      process.execPath,
      [
        '-r',
        'ts-node/register/transpile-only',
        '-r',
        'tsconfig-paths/register',
        resolve(__dirname, 'demo.ts'),
      ],
      { env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
    );
    children.push(child);
    child.once('exit', (code) => {
      if (!stopping) console.error(`[fleet] the demo fleet stopped (code ${code}); the services go on`);
    });
    await new Promise<void>((ready, fail) => {
      child.once('message', () => ready());
      child.once('exit', () => fail(new Error('the demo fleet did not start')));
    });
  }
  const host = 'http://localhost';
  console.log(
    [
      '',
      '[fleet] all services are up:',
      `  booking API     ${host}:${env.BOOKING_PORT ?? 3000}/health`,
      `  live map        ${host}:${env.LIVE_MAP_PORT ?? 3001}/`,
      `  gateway         ${host}:${env.GATEWAY_PORT ?? 3002}/health  (metrics: /metrics)`,
      `  MQTT            ${env.MQTT_URL ?? `mqtt://localhost:${env.MQTT_PORT ?? 1883} (embedded broker)`}`,
      mailLine(env, inbox),
      `  rate limits     ${env.REDIS_URL || bookingEnv.REDIS_URL ? 'in Redis (REDIS_URL)' : 'in each booking process (no Redis)'}`,
      '',
      `  operator login  ${env.FLEET_OPERATOR_EMAIL ?? 'operator@fleet.local'} / ${env.FLEET_OPERATOR_PASSWORD ? '(FLEET_OPERATOR_PASSWORD)' : `FLEET_OPERATOR_PASSWORD in ${devSecretsPath(env)}`}`,
      ...(demo
        ? [
            `  demo driver     ${DEMO_DRIVER.email} / ${DEMO_DRIVER.password}`,
            '  demo fleet      Berlin inside the Ringbahn: cars reporting, simulated drivers booking (FLEET_DEMO=0 turns it off)',
          ]
        : []),
      '',
    ].join('\n'),
  );
}

process.once('SIGINT', () => stopAll(0));
process.once('SIGTERM', () => stopAll(0));
main().catch((err: Error) => {
  console.error(`[fleet] ${err.message}`);
  stopAll(1);
});
