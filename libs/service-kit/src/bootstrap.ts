import { ConfigError } from '@fleet/config';
import { Logger, LogLevel } from '@nestjs/common';

const LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];

/** Log levels up to and including `level`. */
export function logLevels(level: string): LogLevel[] {
  const i = LEVELS.indexOf(level as LogLevel);
  return LEVELS.slice(0, i < 0 ? 4 : i + 1);
}

/** Runs a service's start function; a configuration or start failure ends the process with a clear message. */
export function runService(name: string, start: () => Promise<void>): void {
  start().catch((err: unknown) => {
    if (err instanceof ConfigError) {
      console.error(`[${name}] ${err.message}`);
    } else {
      new Logger(name).error(`failed to start: ${(err as Error).stack ?? String(err)}`);
    }
    process.exit(1);
  });
}
