import { CommonConfig } from '@fleet/config';
import { IsInt, Max, Min } from 'class-validator';

/** Settings of the live-map service; each is an environment variable of the same name. */
export class LiveMapConfig extends CommonConfig {
  /** HTTP port. */
  @IsInt()
  @Min(1)
  @Max(65535)
  LIVE_MAP_PORT = 3001;
}
