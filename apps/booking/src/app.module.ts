import { DatabaseModule } from '@fleet/domain';
import {
  databaseHealthCheck,
  HEALTH_CHECKS,
  HealthCheck,
  HealthController,
  Readiness,
} from '@fleet/service-kit';
import { DynamicModule, Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { BookingConfig } from './config/booking.config';

@Module({})
export class BookingModule {
  static register(config: BookingConfig): DynamicModule {
    return {
      module: BookingModule,
      imports: [DatabaseModule.forRoot({ url: config.DATABASE_URL, applicationName: 'fleet-booking' })],
      controllers: [HealthController],
      providers: [
        { provide: BookingConfig, useValue: config },
        Readiness,
        {
          provide: HEALTH_CHECKS,
          inject: [DataSource],
          useFactory: (ds: DataSource): HealthCheck[] => [databaseHealthCheck(ds)],
        },
      ],
    };
  }
}
