import {
  BeforeApplicationShutdown,
  Controller,
  Get,
  HttpStatus,
  Inject,
  Injectable,
  Res,
} from '@nestjs/common';
import type { Response } from 'express';
import { DataSource } from 'typeorm';

/** One readiness check: resolves true when its dependency is usable. */
export interface HealthCheck {
  name: string;
  check: () => Promise<boolean> | boolean;
}

export const HEALTH_CHECKS = Symbol('HEALTH_CHECKS');

/** The database answers a trivial query. */
export function databaseHealthCheck(dataSource: DataSource): HealthCheck {
  return {
    name: 'database',
    check: async () => {
      await dataSource.query('SELECT 1');
      return true;
    },
  };
}

/** Readiness goes false when the service starts shutting down (SIGTERM), before anything closes. */
@Injectable()
export class Readiness implements BeforeApplicationShutdown {
  private stopping = false;

  beforeApplicationShutdown(): void {
    this.stopping = true;
  }

  get isStopping(): boolean {
    return this.stopping;
  }
}

export interface HealthReport {
  status: 'ok' | 'unavailable';
  checks: Record<string, 'up' | 'down'>;
}

/**
 * `/health`: 200 `{status: "ok"}` when every dependency is up (liveness and readiness in one), 503
 * with the failing checks otherwise, and 503 from the moment shutdown begins.
 */
@Controller()
export class HealthController {
  constructor(
    @Inject(HEALTH_CHECKS) private readonly checks: HealthCheck[],
    private readonly readiness: Readiness,
  ) {}

  @Get('health')
  async health(@Res({ passthrough: true }) res: Response): Promise<HealthReport> {
    const entries = await Promise.all(
      this.checks.map(async (c) => {
        try {
          return [c.name, (await withTimeout(c.check(), 2000)) ? 'up' : 'down'] as const;
        } catch {
          return [c.name, 'down'] as const;
        }
      }),
    );
    const checks = Object.fromEntries(entries) as HealthReport['checks'];
    const ok = !this.readiness.isStopping && entries.every(([, s]) => s === 'up');
    res.status(ok ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE);
    return { status: ok ? 'ok' : 'unavailable', checks };
  }
}

function withTimeout<T>(value: Promise<T> | T, ms: number): Promise<T> {
  return Promise.race([
    Promise.resolve(value),
    new Promise<T>((_, reject) => setTimeout(() => reject(new Error('timeout')), ms)),
  ]);
}
