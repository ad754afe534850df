import { randomBytes } from 'node:crypto';

export interface BrokerCredentials {
  username?: string;
  password?: string;
}

/** Connection options every service connection uses (fits both MQTT.js and Nest's MQTT transport). */
export interface ServiceMqttOptions extends BrokerCredentials {
  clientId: string;
  reconnectPeriod: number;
  connectTimeout: number;
}

/** Options for a service connection: unique client id, quick reconnects, the service's credentials. */
export function serviceMqttOptions(
  clientIdPrefix: string,
  credentials: BrokerCredentials = {},
): ServiceMqttOptions {
  return {
    clientId: `${clientIdPrefix}-${randomBytes(4).toString('hex')}`,
    reconnectPeriod: 1000,
    connectTimeout: 10_000,
    username: credentials.username,
    password: credentials.password,
  };
}
