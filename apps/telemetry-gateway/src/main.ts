import 'reflect-metadata';
import { brokerUrl, loadConfig } from '@fleet/config';
import { SharedMqttServer, serviceMqttOptions } from '@fleet/messaging';
import { logLevels, runService } from '@fleet/service-kit';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { GatewayModule } from './app.module';
import { EmbeddedBroker } from './broker/embedded-broker';
import { GatewayConfig } from './config/gateway.config';

runService('telemetry-gateway', async () => {
  const config = loadConfig(GatewayConfig);
  const embedded = config.MQTT_URL ? null : new EmbeddedBroker();
  await embedded?.listen(config.MQTT_PORT);

  const app = await NestFactory.create(GatewayModule.register(config, embedded), {
    logger: logLevels(config.LOG_LEVEL),
  });
  app.enableShutdownHooks();
  const url = brokerUrl(config);
  // Command requests: one gateway instance answers each (shared subscription where the broker has them).
  const sharedGroup = !embedded && config.GATEWAY_SHARED_SUBSCRIPTION ? config.GATEWAY_SHARED_GROUP : null;
  app.connectMicroservice({
    strategy: new SharedMqttServer(
      {
        url,
        ...serviceMqttOptions(`fleet-gw-${config.GATEWAY_INSTANCE_ID}-rpc`, {
          username: config.MQTT_USERNAME,
          password: config.MQTT_PASSWORD,
        }),
        subscribeOptions: { qos: 1 },
      },
      sharedGroup ? `${sharedGroup}-rpc` : null,
    ),
  });
  await app.startAllMicroservices();
  await app.listen(config.GATEWAY_PORT);
  new Logger('telemetry-gateway').log(
    `ready on :${config.GATEWAY_PORT}, broker ${embedded ? `embedded on :${config.MQTT_PORT}` : url}`,
  );
});
