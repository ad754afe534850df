import { ChildProcess, spawn } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort, waitFor } from './ports';

const PROJECT_CONFIG = resolve(__dirname, '../../../docker/mosquitto/mosquitto.conf');
const AUTH_FILES = ['vehicles.passwd', 'vehicles.acl', 'services.passwd', 'services.acl'];

export interface MosquittoOptions {
  /**
   * Enforce the project's accounts and ACLs, from the files in `authDir` (the gateway writes them when
   * given MOSQUITTO_AUTH_DIR = authDir). Off by default: both listeners then let anyone in, for tests
   * about other things; queues, persistence and everything else are the project's.
   */
  secured?: boolean;
  /** More configuration lines. */
  extraConfig?: string;
}

export interface MosquittoInstance {
  /** The cars' listener. */
  url: string;
  port: number;
  /** The services' listener. */
  serviceUrl: string;
  /** Where the password and ACL files are read from (secured). */
  authDir: string;
  stop(): Promise<void>;
  /** Stops (SIGTERM: the broker saves its persistent sessions) and starts it again on the same ports. */
  restart(): Promise<void>;
  /** Ends the broker without warning (SIGKILL). */
  kill(): Promise<void>;
  /** Starts it again after `stop` or `kill`. */
  start(): Promise<void>;
}

/**
 * As docker/mosquitto/run.sh: the account folder belongs to the broker's group and hands it on
 * (setgid), so the files the gateway writes there with mode 0640 are readable by the broker's user
 * and nobody else's. Needed only when Mosquitto runs as root and so drops to the user `mosquitto`.
 */
function brokerGroupFolder(folder: string): void {
  if (process.getuid?.() !== 0) return;
  const line = readFileSync('/etc/group', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('mosquitto:'));
  if (!line) return;
  chownSync(folder, 0, Number(line.split(':')[2]));
  chmodSync(folder, 0o2750);
}

/**
 * Starts a Mosquitto of our own from the project's configuration (docker/mosquitto/mosquitto.conf) on
 * free loopback ports, with its own data folder; tests about loss must not use the machine's stock
 * broker. When secured, it reloads (SIGHUP) whenever an account file changes, as docker/mosquitto/run.sh
 * does.
 */
export async function startMosquitto(options: MosquittoOptions = {}): Promise<MosquittoInstance> {
  const [port, servicePort] = [await freePort(), await freePort()];
  const dir = mkdtempSync(join(tmpdir(), 'fleet-mosquitto-'));
  const authDir = join(dir, 'auth');
  const dataDir = join(dir, 'data');
  // Mosquitto started as root runs as the user `mosquitto`: it must read the files and write its data.
  chmodSync(dir, 0o755);
  mkdirSync(authDir, { mode: 0o755 });
  brokerGroupFolder(authDir);
  mkdirSync(dataDir, { mode: 0o777 });
  chmodSync(dataDir, 0o777);
  for (const f of AUTH_FILES) writeFileSync(join(authDir, f), '', { mode: 0o640 });
  let config = readFileSync(PROJECT_CONFIG, 'utf8')
    .replace(/^listener 1883$/m, `listener ${port} 127.0.0.1`)
    .replace(/^listener 1884$/m, `listener ${servicePort} 127.0.0.1`)
    .replaceAll('/mosquitto/auth/', `${authDir}/`)
    .replaceAll('/mosquitto/data/', `${dataDir}/`);
  if (!options.secured) {
    config = config
      .replace(/^allow_anonymous false$/gm, 'allow_anonymous true')
      .replace(/^(use_username_as_clientid|password_file|acl_file) .*$/gm, '');
  }
  const configPath = join(dir, 'mosquitto.conf');
  writeFileSync(configPath, `${config}\n${options.extraConfig ?? ''}\n`);

  let child: ChildProcess | null = null;
  let stamp = authStamp(authDir);
  /** The stamp of a change not yet reloaded. */
  let pending: string | null = null;
  const start = async () => {
    // As docker/mosquitto/run.sh: no car gets in until the gateway has subscribed and rewritten this.
    if (options.secured) {
      writeFileSync(join(authDir, 'vehicles.passwd'), '');
      stamp = authStamp(authDir); // not a change to reload for: a SIGHUP before it is up would end it
      pending = null;
    }
    child = spawn('mosquitto', ['-c', configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    await waitFor(() => canConnect(port), 10_000, `mosquitto on ${port} (${stderr.trim()})`);
  };
  const end = async (signal: NodeJS.Signals) => {
    const c = child;
    child = null;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    await new Promise<void>((done) => {
      c.once('exit', () => done());
      c.kill(signal);
    });
  };

  // As run.sh: one reload once the files have settled (unchanged over a poll), not one per file: a
  // SIGHUP that arrives while Mosquitto is reloading is lost.
  const watcher = options.secured
    ? setInterval(() => {
        const now = authStamp(authDir);
        if (now !== stamp) {
          stamp = now;
          pending = now;
        } else if (pending === now) {
          pending = null;
          child?.kill('SIGHUP');
        }
      }, 100)
    : null;
  watcher?.unref();

  await start();
  const stop = async () => {
    if (watcher) clearInterval(watcher);
    await end('SIGTERM');
  };
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    serviceUrl: `mqtt://127.0.0.1:${servicePort}`,
    authDir,
    stop,
    restart: async () => (await end('SIGTERM'), await start()),
    kill: () => end('SIGKILL'),
    start,
  };
}

function authStamp(dir: string): string {
  return AUTH_FILES.map((f) => {
    const s = statSync(join(dir, f), { throwIfNoEntry: false });
    return s ? `${s.mtimeMs}:${s.size}` : '-';
  }).join('|');
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}
