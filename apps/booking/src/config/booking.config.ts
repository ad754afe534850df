import { CommonConfig } from '@fleet/config';
import { IsInt, Max, Min } from 'class-validator';

/** Settings of the booking service; each is an environment variable of the same name. */
export class BookingConfig extends CommonConfig {
  /** HTTP port. */
  @IsInt()
  @Min(1)
  @Max(65535)
  BOOKING_PORT = 3000;
}
