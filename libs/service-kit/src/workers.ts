import { Logger } from '@nestjs/common';
import cluster from 'node:cluster';

/**
 * Runs `count` worker processes of this service sharing its port (node:cluster: each worker runs
 * the service; connections are spread between them). The primary only supervises: a worker that
 * dies is replaced; if one dies before any has started listening, the start has failed and the
 * primary exits with 1; SIGTERM and SIGINT are passed on, and the primary exits when all are gone.
 */
export function superviseWorkers(name: string, count: number): void {
  const logger = new Logger(name);
  let stopping = false;
  let started = false;
  cluster.on('listening', (worker, address) => {
    started = true;
    logger.log(`worker ${worker.process.pid} listening on port ${address.port}`);
  });
  cluster.on('exit', (worker, code, signal) => {
    const live = Object.values(cluster.workers ?? {}).filter((w) => w && !w.isDead()).length;
    if (stopping) {
      if (live === 0) process.exit(0);
      return;
    }
    if (!started) {
      logger.error(`worker ${worker.process.pid} failed to start (${signal ?? code}); stopping`);
      stopping = true;
      for (const w of Object.values(cluster.workers ?? {})) w?.kill('SIGTERM');
      if (live === 0) process.exit(1);
      process.exitCode = 1;
      return;
    }
    logger.warn(`worker ${worker.process.pid} exited (${signal ?? code}); starting another`);
    cluster.fork();
  });
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      stopping = true;
      for (const w of Object.values(cluster.workers ?? {})) w?.process.kill(signal);
    });
  }
  for (let i = 0; i < count; i++) cluster.fork();
  logger.log(`${count} workers`);
}
