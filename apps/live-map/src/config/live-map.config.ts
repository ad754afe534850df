import { TokenConfig } from '@fleet/auth';
import { IsInt, IsOptional, IsString, Matches, Max, Min, MinLength } from 'class-validator';

/** Settings of the live-map service; each is an environment variable of the same name. */
export class LiveMapConfig extends TokenConfig {
  /** Password of the live map's broker account, `fleet-live-map` (16+ characters). */
  @IsString()
  @MinLength(16)
  MQTT_LIVE_MAP_PASSWORD = '';

  /** HTTP port (the operator page at `/`, socket.io namespace `/live`, `/health`). */
  @IsInt()
  @Min(1)
  @Max(65535)
  LIVE_MAP_PORT = 3001;

  /** Least time between two `updates` to one socket, in milliseconds (CONTRACT.md 3: 500). */
  @IsInt()
  @Min(50)
  @Max(10_000)
  LIVE_MAP_UPDATE_INTERVAL_MS = 500;

  /** How often every socket gets `stats`, in milliseconds. */
  @IsInt()
  @Min(500)
  LIVE_MAP_STATS_INTERVAL_MS = 5000;

  /** How often the fleet is read again from the database (what changed since the last read), in ms. */
  @IsInt()
  @Min(100)
  LIVE_MAP_RESYNC_MS = 30_000;

  /**
   * How often the sessions of connected sockets are checked, in ms: a socket whose session ended or
   * whose account was blocked, deleted or given another role is disconnected within this.
   */
  @IsInt()
  @Min(1000)
  @Max(60_000)
  LIVE_MAP_SESSION_SWEEP_MS = 15_000;

  /** Base-map raster tiles of the operator page ({z}/{x}/{y}); empty: no base map. */
  @IsString()
  LIVE_MAP_TILE_URL = 'https://tile.openstreetmap.org/{z}/{x}/{y}.png';

  /** Attribution shown with the tiles. */
  @IsString()
  LIVE_MAP_TILE_ATTRIBUTION = '© OpenStreetMap contributors';

  /**
   * The booking API the operator page logs in through and reads zones from, as the browser reaches
   * it (the booking service allows any origin, see docs/configuration.md). Unset: port 3000 of the
   * host that served the page.
   */
  @IsOptional()
  @Matches(/^https?:\/\/[^/]+$/, {
    message: 'LIVE_MAP_BOOKING_URL must be http(s)://host[:port], without a path',
  })
  LIVE_MAP_BOOKING_URL?: string;
}
