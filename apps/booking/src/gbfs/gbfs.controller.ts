import { Controller, Get, Res } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { BookingConfig } from '../config/booking.config';
import { GbfsFeedName } from './gbfs-feeds';
import { GbfsService } from './gbfs.service';

/**
 * Open data (CONTRACT.md 2.6): GBFS v3.0 under /api/v1/gbfs, public, for cities and aggregators.
 * Answers carry `Cache-Control: max-age` of the feeds' `ttl`.
 */
@ApiTags('open data (GBFS v3.0)')
@Controller('gbfs')
export class GbfsController {
  constructor(
    private readonly gbfs: GbfsService,
    private readonly config: BookingConfig,
  ) {}

  @Get('gbfs.json')
  @ApiOkResponse({ description: 'GBFS v3.0 gbfs.json: where each feed is' })
  manifest(@Res() res: Response): void {
    this.send(res, this.gbfs.manifest(this.baseUrl(res.req)));
  }

  @Get('system_information.json')
  @ApiOkResponse({ description: 'GBFS v3.0 system_information.json' })
  systemInformation(@Res() res: Response): Promise<void> {
    return this.feed(res, 'system_information');
  }

  @Get('vehicle_types.json')
  @ApiOkResponse({ description: 'GBFS v3.0 vehicle_types.json: one type per model and propulsion' })
  vehicleTypes(@Res() res: Response): Promise<void> {
    return this.feed(res, 'vehicle_types');
  }

  @Get('vehicle_status.json')
  @ApiOkResponse({
    description: 'GBFS v3.0 vehicle_status.json: cars not in a rental, with ids that rotate after each trip',
  })
  vehicleStatus(@Res() res: Response): Promise<void> {
    return this.feed(res, 'vehicle_status');
  }

  @Get('geofencing_zones.json')
  @ApiOkResponse({ description: 'GBFS v3.0 geofencing_zones.json: business areas and no-parking zones' })
  geofencingZones(@Res() res: Response): Promise<void> {
    return this.feed(res, 'geofencing_zones');
  }

  @Get('system_pricing_plans.json')
  @ApiOkResponse({ description: 'GBFS v3.0 system_pricing_plans.json: the tariff' })
  pricingPlans(@Res() res: Response): Promise<void> {
    return this.feed(res, 'system_pricing_plans');
  }

  private async feed(res: Response, name: GbfsFeedName): Promise<void> {
    const body = await this.gbfs.feed(name);
    const gzipped = /\bgzip\b/.test(res.req.get('accept-encoding') ?? '');
    res.setHeader('Cache-Control', `public, max-age=${this.gbfs.ttlS}`);
    res.setHeader('Vary', 'Accept-Encoding');
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    if (gzipped) res.setHeader('Content-Encoding', 'gzip');
    const bytes = gzipped ? body.gzip : body.plain;
    res.setHeader('Content-Length', bytes.length);
    res.end(bytes);
  }

  private send(res: Response, body: string): void {
    res.setHeader('Cache-Control', `public, max-age=${this.gbfs.ttlS}`);
    res.type('application/json').send(body);
  }

  /** GBFS_BASE_URL, or this API's /gbfs as the request reached it (a proxy's X-Forwarded-Proto honoured). */
  private baseUrl(req: Request): string {
    if (this.config.GBFS_BASE_URL) return this.config.GBFS_BASE_URL;
    const forwarded = req.get('x-forwarded-proto')?.split(',')[0].trim();
    const proto = forwarded === 'https' || forwarded === 'http' ? forwarded : req.protocol;
    return `${proto}://${req.get('host') ?? 'localhost'}/api/v1/gbfs`;
  }
}
