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
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { ClientProxyFactory, Transport } from '@nestjs/microservices';
import { brokerUrl, serviceAccount } from '@fleet/config';
import { serviceMqttOptions } from '@fleet/messaging';
import { DataSource } from 'typeorm';
import { AuthController } from './auth/auth.controller';
import { AuthGuard } from './auth/auth.guard';
import { AuthService } from './auth/auth.service';
import { MfaService } from './auth/mfa.service';
import { SessionsService } from './auth/sessions.service';
import { AuditController } from './audit/audit.controller';
import { AuditInterceptor } from './audit/audit.interceptor';
import { AuditService } from './audit/audit.service';
import { MeController } from './me/me.controller';
import { MeRepository } from './me/me.repository';
import { MeService } from './me/me.service';
import { StaffController } from './staff/staff.controller';
import { StaffService } from './staff/staff.service';
import { UsersRepository } from './users/users.repository';
import { GATEWAY_CLIENT, VehicleCommander } from './commands/vehicle-commander';
import { ErrorFilter } from './common/error.filter';
import { GbfsController } from './gbfs/gbfs.controller';
import { GbfsService } from './gbfs/gbfs.service';
import { HistoryRepository } from './history/history.repository';
import { MailModule } from './mail/mail.module';
import { TripsController } from './trips/trips.controller';
import { TripsRepository } from './trips/trips.repository';
import { TripsService } from './trips/trips.service';
import { FleetStateRepository } from './vehicles/fleet-state.repository';
import { VehiclesController } from './vehicles/vehicles.controller';
import { VehiclesRepository } from './vehicles/vehicles.repository';
import { VehiclesService } from './vehicles/vehicles.service';
import { BookingConfig } from './config/booking.config';
import { ReservationExpiry } from './reservations/reservation-expiry';
import { ReservationsController } from './reservations/reservations.controller';
import { ReservationsService } from './reservations/reservations.service';
import { RetentionModule } from './retention/retention.module';
import { NearbyController } from './vehicles/nearby.controller';
import { NearbyIndexService } from './vehicles/nearby-index.service';
import { StateChangePublisher } from './vehicles/state-changes';
import { ZonesController } from './zones/zones.controller';
import { ClientAddresses } from './throttle/client-address';
import { CounterStore } from './throttle/counter-store';
import { throttlerOptions } from './throttle/rate-limits';
import { ThrottleModule } from './throttle/throttle.module';

@Module({})
export class BookingModule {
  static register(config: BookingConfig): DynamicModule {
    const throttle = ThrottleModule.register(config);
    return {
      module: BookingModule,
      imports: [
        DatabaseModule.forRoot({ url: config.DATABASE_URL, applicationName: 'fleet-booking' }),
        throttle,
        ThrottlerModule.forRootAsync({
          imports: [throttle],
          inject: [CounterStore, ClientAddresses],
          useFactory: (store: CounterStore, clients: ClientAddresses) =>
            throttlerOptions(config, store, clients),
        }),
        MailModule.register(config),
        RetentionModule.register(config),
      ],
      controllers: [
        HealthController,
        AuthController,
        MeController,
        StaffController,
        AuditController,
        NearbyController,
        ZonesController,
        ReservationsController,
        TripsController,
        VehiclesController,
        GbfsController,
      ],
      providers: [
        { provide: BookingConfig, useValue: config },
        { provide: AccessTokens, useValue: new AccessTokens(config) },
        {
          provide: SessionCheck,
          inject: [DataSource],
          useFactory: (ds: DataSource) => new SessionCheck(ds),
        },
        { provide: APP_GUARD, useClass: AuthGuard },
        { provide: APP_FILTER, useClass: ErrorFilter },
        { provide: APP_INTERCEPTOR, useClass: AuditInterceptor },
        AuthService,
        SessionsService,
        MfaService,
        UsersRepository,
        MeRepository,
        MeService,
        StaffService,
        AuditService,
        ReservationsService,
        ReservationExpiry,
        FleetStateRepository,
        StateChangePublisher,
        NearbyIndexService,
        HistoryRepository,
        TripsRepository,
        TripsService,
        VehiclesRepository,
        VehiclesService,
        VehicleCommander,
        GbfsService,
        {
          // The gateway's command API, over the broker (request-response).
          provide: GATEWAY_CLIENT,
          useFactory: () =>
            ClientProxyFactory.create({
              transport: Transport.MQTT,
              options: {
                url: brokerUrl(config),
                ...serviceMqttOptions('booking', serviceAccount(config, 'booking')),
              },
            }),
        },
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
