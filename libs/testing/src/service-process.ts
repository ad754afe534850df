import { ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { waitFor } from './ports';

export type ServiceName = 'telemetry-gateway' | 'booking' | 'live-map';

export interface ServiceProcess {
  name: ServiceName;
  port: number;
  baseUrl: string;
  child: ChildProcess;
  /** Everything the process printed so far. */
  output(): string;
  /** Sends a signal and waits for the process to exit; resolves with its exit code or the signal that ended it. */
  kill(signal?: NodeJS.Signals): Promise<number | NodeJS.Signals | null>;
}

const PORT_VARIABLE: Record<ServiceName, string> = {
  'telemetry-gateway': 'GATEWAY_PORT',
  booking: 'BOOKING_PORT',
  'live-map': 'LIVE_MAP_PORT',
};

/**
 * Starts a built service (dist/apps/<name>/main.js, from `npm run build`) as a process and waits for
 * its /health to answer 200. With SERVICE_LOG_DIR set, its output is also written to
 * `<SERVICE_LOG_DIR>/<name>-<port>.log` (for reading a test's or benchmark's service logs afterwards).
 */
export async function startService(
  name: ServiceName,
  port: number,
  env: Record<string, string>,
  timeoutMs = 30_000,
  nodeArgs: string[] = [],
): Promise<ServiceProcess> {
  const main = resolve(__dirname, `../../../dist/apps/${name}/main.js`);
  if (!existsSync(main)) throw new Error(`${main} is missing: run npm run build first`);
  const child = spawn(process.execPath, [...nodeArgs, main], {
    env: { ...process.env, LOG_LEVEL: 'warn', ...env, [PORT_VARIABLE[name]]: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  if (process.env.SERVICE_LOG_DIR) {
    const file = createWriteStream(resolve(process.env.SERVICE_LOG_DIR, `${name}-${port}.log`));
    child.stdout?.pipe(file);
    child.stderr?.pipe(file);
  }
  const baseUrl = `http://127.0.0.1:${port}`;
  const proc: ServiceProcess = {
    name,
    port,
    baseUrl,
    child,
    output: () => output,
    kill: (signal = 'SIGTERM') =>
      new Promise((done) => {
        if (child.exitCode !== null || child.signalCode !== null)
          return done(child.exitCode ?? child.signalCode);
        child.once('exit', (code, sig) => done(code ?? sig));
        child.kill(signal);
      }),
  };
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) =>
      reject(new Error(`${name} exited with code ${code} before it was healthy:\n${output}`)),
    ),
  );
  exited.catch(() => undefined);
  try {
    await Promise.race([
      exited,
      waitFor(
        async () => (await fetch(`${baseUrl}/health`)).status === 200,
        timeoutMs,
        `${name} /health`,
        100,
      ),
    ]);
  } catch (err) {
    await proc.kill('SIGKILL');
    throw err;
  }
  return proc;
}
