import { PeriodicTask } from '@fleet/service-kit';
import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { BookingConfig } from '../config/booking.config';
import { ReservationsService } from './reservations.service';

/** Releases reservations whose free time ran out, every RESERVATION_EXPIRY_CHECK_MS. */
@Injectable()
export class ReservationExpiry implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ReservationExpiry.name);
  private readonly task = new PeriodicTask('reservation expiry', this.logger, async () => {
    const n = await this.reservations.expireDue();
    if (n) this.logger.log(`${n} reservation(s) expired`);
  });

  constructor(
    private readonly config: BookingConfig,
    private readonly reservations: ReservationsService,
  ) {}

  onApplicationBootstrap(): void {
    this.task.start(this.config.RESERVATION_EXPIRY_CHECK_MS);
  }

  onApplicationShutdown(): void {
    this.task.stop();
  }
}
