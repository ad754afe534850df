import { Controller, Get } from '@nestjs/common';
import { LiveMapConfig } from '../config/live-map.config';

/** What the operator page needs to know about its deployment. */
export interface PageSettings {
  /** The booking API as the browser reaches it; null: port 3000 of the page's host. */
  bookingUrl: string | null;
  tileUrl: string;
  tileAttribution: string;
}

/** `/config.json`: the page's settings (the page itself and its libraries are static files). */
@Controller()
export class WebController {
  constructor(private readonly config: LiveMapConfig) {}

  @Get('config.json')
  settings(): PageSettings {
    return {
      bookingUrl: this.config.LIVE_MAP_BOOKING_URL ?? null,
      tileUrl: this.config.LIVE_MAP_TILE_URL,
      tileAttribution: this.config.LIVE_MAP_TILE_ATTRIBUTION,
    };
  }
}
