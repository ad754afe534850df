import { Controller, Get, Header, Headers, NotFoundException, UnauthorizedException } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import { GatewayConfig } from '../config/gateway.config';
import { MetricsService } from './metrics.service';

/**
 * /metrics for Prometheus. With METRICS_TOKEN set, only a scraper showing it as a Bearer token reads
 * them; without, they are open outside production and absent in production (counters of cars,
 * refusals and queues tell an attacker how the fleet is doing and when an attack works).
 */
@Controller()
export class MetricsController {
  private readonly token: Buffer | null;

  constructor(
    private readonly metrics: MetricsService,
    private readonly config: GatewayConfig,
  ) {
    this.token = config.METRICS_TOKEN ? digest(`Bearer ${config.METRICS_TOKEN}`) : null;
  }

  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  scrape(@Headers('authorization') authorization?: string): Promise<string> {
    if (this.token) {
      if (!authorization || !timingSafeEqual(digest(authorization), this.token))
        throw new UnauthorizedException('metrics need the METRICS_TOKEN as a Bearer token');
    } else if (this.config.PRODUCTION) {
      throw new NotFoundException();
    }
    return this.metrics.registry.metrics();
  }
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
