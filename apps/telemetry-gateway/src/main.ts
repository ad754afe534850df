import 'reflect-metadata';
import { brokerUrl, loadConfig, secretProblems, serviceAccount } from '@fleet/config';
import { SharedMqttServer, serviceMqttOptions } from '@fleet/messaging';
import { logLevels, runService } from '@fleet/service-kit';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { GatewayModule } from './app.module';
import { BrokerAuthenticator } from './broker/broker-authenticator';
import { EmbeddedBroker } from './broker/embedded-broker';
import { VehicleAccountsRepository } from './broker/vehicle-accounts.repository';
import { GatewayConfig } from './config/gateway.config';

runService('telemetry-gateway', async () => {
  const config = loadConfig(GatewayConfig);
  const problems = secretProblems(config);
  if (problems.length) throw new Error(`cannot start: ${problems.join('; ')}`);
  const embedded = config.MQTT_URL ? null : new EmbeddedBroker(config.MQTT_TOPIC_PREFIX);

  const app = await NestFactory.create(GatewayModule.register(config, embedded), {
    logger: logLevels(config.LOG_LEVEL),
  });
  if (embedded) {
    const accounts = app.get(VehicleAccountsRepository);
    embedded.secure(new BrokerAuthenticator((usernames) => accounts.hashes(usernames), config));
    await embedded.listen(config.MQTT_PORT, config.BIND_HOST);
  }
  app.enableShutdownHooks();
  const url = brokerUrl(config);
  // Command requests: one gateway instance answers each (shared subscription where the broker has them).
  const sharedGroup = !embedded && config.GATEWAY_SHARED_SUBSCRIPTION ? config.GATEWAY_SHARED_GROUP : null;
  app.connectMicroservice({
    strategy: new SharedMqttServer(
      {
        url,
        ...serviceMqttOptions(`gw-${config.GATEWAY_INSTANCE_ID}-rpc`, serviceAccount(config, 'gateway')),
        subscribeOptions: { qos: 1 },
      },
      sharedGroup ? `${sharedGroup}-rpc` : null,
    ),
  });
  // Bootstrap first: the Mosquitto account files and the control session, so that the broker knows
  // the services' account before the request server connects (a refusal there would be fatal).
  await app.init();
  await app.startAllMicroservices();
  await app.listen(config.GATEWAY_PORT, config.BIND_HOST);
  new Logger('telemetry-gateway').log(
    `ready on ${config.BIND_HOST}:${config.GATEWAY_PORT}, broker ${embedded ? `embedded on ${config.BIND_HOST}:${config.MQTT_PORT}` : url}`,
  );
});
