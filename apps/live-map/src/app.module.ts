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
import { LiveMapConfig } from './config/live-map.config';

@Module({})
export class LiveMapModule {
  static register(config: LiveMapConfig): DynamicModule {
    return {
      module: LiveMapModule,
      imports: [DatabaseModule.forRoot({ url: config.DATABASE_URL, applicationName: 'fleet-live-map' })],
      controllers: [HealthController],
      providers: [
        { provide: LiveMapConfig, useValue: config },
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
