import { AccessTokens, SessionCheck } from '@fleet/auth';
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
import { FleetFeed } from './fleet/fleet-feed.service';
import { LiveFleet } from './fleet/live-fleet';
import { LiveHub } from './live/live-hub.service';
import { LiveGateway } from './live/live.gateway';
import { SessionSweep } from './live/session-sweep';
import { WebController } from './web/web.controller';

@Module({})
export class LiveMapModule {
  static register(config: LiveMapConfig): DynamicModule {
    return {
      module: LiveMapModule,
      imports: [DatabaseModule.forRoot({ url: config.DATABASE_URL, applicationName: 'fleet-live-map' })],
      controllers: [HealthController, WebController],
      providers: [
        { provide: LiveMapConfig, useValue: config },
        { provide: AccessTokens, useValue: new AccessTokens(config) },
        { provide: LiveFleet, useValue: new LiveFleet() },
        {
          provide: SessionCheck,
          inject: [DataSource],
          useFactory: (ds: DataSource) => new SessionCheck(ds),
        },
        SessionSweep,
        LiveHub,
        LiveGateway,
        FleetFeed,
        Readiness,
        {
          provide: HEALTH_CHECKS,
          inject: [DataSource, FleetFeed],
          useFactory: (ds: DataSource, feed: FleetFeed): HealthCheck[] => [
            databaseHealthCheck(ds),
            { name: 'fleet', check: () => feed.loaded },
          ],
        },
      ],
    };
  }
}
