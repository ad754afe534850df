import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { BookingConfig } from '../config/booking.config';
import { ReservationsService } from './reservations.service';

/** Releases reservations whose free time ran out, every RESERVATION_EXPIRY_CHECK_MS. */
@Injectable()
export class ReservationExpiry implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ReservationExpiry.name);
  private timer?: NodeJS.Timeout;
  private running = false;

  constructor(
    private readonly config: BookingConfig,
    private readonly reservations: ReservationsService,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.run(), this.config.RESERVATION_EXPIRY_CHECK_MS);
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  async run(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      const n = await this.reservations.expireDue();
      if (n) this.logger.log(`${n} reservation(s) expired`);
    } catch (err) {
      this.logger.warn(`reservation expiry failed: ${(err as Error).message}`);
    } finally {
      this.running = false;
    }
  }
}
