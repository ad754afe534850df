import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort, waitFor } from './ports';

const PROJECT_CONFIG = resolve(__dirname, '../../../docker/mosquitto/mosquitto.conf');

export interface MosquittoInstance {
  url: string;
  port: number;
  stop(): Promise<void>;
  /** Stops and starts it again on the same port (what a broker restart looks like to clients). */
  restart(): Promise<void>;
}

/**
 * Starts a Mosquitto of our own from the project's configuration (docker/mosquitto/mosquitto.conf) on
 * a free loopback port; tests about loss must not use the machine's stock broker.
 */
export async function startMosquitto(extraConfig = ''): Promise<MosquittoInstance> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'fleet-mosquitto-'));
  const base = readFileSync(PROJECT_CONFIG, 'utf8').replace(/^listener .*$/m, `listener ${port} 127.0.0.1`);
  const configPath = join(dir, 'mosquitto.conf');
  writeFileSync(configPath, `${base}\n${extraConfig}\n`);

  let child: ChildProcess | null = null;
  const start = async () => {
    child = spawn('mosquitto', ['-c', configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    await waitFor(() => canConnect(port), 10_000, `mosquitto on ${port} (${stderr.trim()})`);
  };
  const stop = async () => {
    const c = child;
    child = null;
    if (!c || c.exitCode !== null) return;
    await new Promise<void>((done) => {
      c.once('exit', () => done());
      c.kill('SIGTERM');
    });
  };
  await start();
  return { url: `mqtt://127.0.0.1:${port}`, port, stop, restart: async () => (await stop(), await start()) };
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}
