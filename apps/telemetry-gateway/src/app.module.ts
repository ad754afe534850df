import { brokerUrl, serviceAccount } from '@fleet/config';
import { DatabaseModule } from '@fleet/domain';
import { serviceClientId, serviceMqttOptions } from '@fleet/messaging';
import {
  databaseHealthCheck,
  HEALTH_CHECKS,
  HealthCheck,
  HealthController,
  Readiness,
} from '@fleet/service-kit';
import { DynamicModule, Module } from '@nestjs/common';
import { ClientProxyFactory, Transport } from '@nestjs/microservices';
import { DataSource } from 'typeorm';
import { BrokerLifecycle } from './broker/broker-lifecycle';
import { ControlConnection } from './broker/control-connection';
import { EmbeddedBroker } from './broker/embedded-broker';
import { MosquittoAuthSync } from './broker/mosquitto-auth-sync';
import { VehicleAccountsRepository } from './broker/vehicle-accounts.repository';
import { CommandsController } from './commands/commands.controller';
import { CommandsRepository } from './commands/commands.repository';
import { CommandsService } from './commands/commands.service';
import { GatewayConfig } from './config/gateway.config';
import { TelemetryRepository } from './database/telemetry.repository';
import { VehicleStateRepository } from './database/vehicle-state.repository';
import { EmbeddedTelemetrySource } from './ingest/embedded-telemetry.source';
import { IngestService, TELEMETRY_SOURCE } from './ingest/ingest.service';
import { MqttPoolTelemetrySource } from './ingest/mqtt-pool-telemetry.source';
import { TelemetryBatchCommitter } from './ingest/telemetry-batch.committer';
import { PartitionMaintenance } from './maintenance/partition-maintenance';
import { GatewayRetention } from './maintenance/retention';
import { StateVacuum } from './maintenance/state-vacuum';
import { MetricsController } from './metrics/metrics.controller';
import { MetricsService } from './metrics/metrics.service';
import { StatePublisher, STATE_STREAM_CLIENT } from './state-stream/state-publisher';
import { StatusService } from './status/status.service';

@Module({})
export class GatewayModule {
  /** The gateway, with its config and, when no MQTT_URL is set, the broker it embeds. */
  static register(config: GatewayConfig, embedded: EmbeddedBroker | null): DynamicModule {
    const url = brokerUrl(config);
    const protocolVersion = embedded ? 4 : (config.MQTT_PROTOCOL_VERSION as 4 | 5);
    const credentials = serviceAccount(config, 'gateway');
    const sessionPrefix = serviceClientId(`gw-${config.GATEWAY_INSTANCE_ID}`);
    return {
      module: GatewayModule,
      imports: [
        DatabaseModule.forRoot({
          url: config.DATABASE_URL,
          poolSize: config.GATEWAY_DB_POOL_SIZE,
          applicationName: 'fleet-gateway',
        }),
      ],
      controllers: [HealthController, MetricsController, CommandsController],
      providers: [
        { provide: GatewayConfig, useValue: config },
        ...(embedded ? [{ provide: EmbeddedBroker, useValue: embedded }] : []),
        VehicleAccountsRepository,
        MosquittoAuthSync,
        BrokerLifecycle,
        {
          provide: TELEMETRY_SOURCE,
          useFactory: () =>
            embedded
              ? new EmbeddedTelemetrySource(embedded, config.MQTT_TOPIC_PREFIX)
              : new MqttPoolTelemetrySource({
                  url,
                  topicPrefix: config.MQTT_TOPIC_PREFIX,
                  connections: config.GATEWAY_MQTT_CONNECTIONS,
                  receiveMaximum: config.GATEWAY_MQTT_RECEIVE_MAXIMUM,
                  sharedGroup: config.GATEWAY_SHARED_SUBSCRIPTION ? config.GATEWAY_SHARED_GROUP : null,
                  clientIdPrefix: sessionPrefix,
                  protocolVersion,
                  sessionExpiryS: config.GATEWAY_SESSION_EXPIRY_S,
                  ...credentials,
                }),
        },
        {
          provide: ControlConnection,
          useFactory: () =>
            new ControlConnection({
              url,
              clientId: `${sessionPrefix}-control`,
              protocolVersion,
              sessionExpiryS: config.GATEWAY_SESSION_EXPIRY_S,
              ...credentials,
            }),
        },
        {
          provide: STATE_STREAM_CLIENT,
          useFactory: () =>
            ClientProxyFactory.create({
              transport: Transport.MQTT,
              options: { url, ...serviceMqttOptions(`gw-${config.GATEWAY_INSTANCE_ID}-stream`, credentials) },
            }),
        },
        {
          provide: HEALTH_CHECKS,
          inject: [DataSource, IngestService, ControlConnection],
          useFactory: (ds: DataSource, ingest: IngestService, control: ControlConnection): HealthCheck[] => [
            databaseHealthCheck(ds),
            { name: 'telemetry', check: () => ingest.connected },
            { name: 'broker', check: () => control.isConnected() },
          ],
        },
        Readiness,
        MetricsService,
        TelemetryRepository,
        VehicleStateRepository,
        CommandsRepository,
        StatePublisher,
        TelemetryBatchCommitter,
        IngestService,
        StatusService,
        CommandsService,
        PartitionMaintenance,
        GatewayRetention,
        StateVacuum,
      ],
    };
  }
}
