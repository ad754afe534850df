import { randomBytes } from 'node:crypto';

export interface BrokerCredentials {
  username?: string;
  password?: string;
}

/** Connection options every service connection uses (fits both MQTT.js and Nest's MQTT transport). */
export interface ServiceMqttOptions extends BrokerCredentials {
  clientId: string;
  reconnectPeriod: number;
  /** Keep trying after a refusal too: the broker may not have loaded the services' account yet. */
  reconnectOnConnackError: boolean;
  connectTimeout: number;
}

/**
 * A service's client id: `fleet.<name>`. The dot keeps it apart from every vehicle's, whose client id
 * is its vehicle id (letters, digits, `_`, `-`): a car can never take over a service's session.
 */
export function serviceClientId(name: string): string {
  return `fleet.${name}`;
}

/** Options for a service connection: unique client id, quick reconnects, the service's credentials. */
export function serviceMqttOptions(name: string, credentials: BrokerCredentials = {}): ServiceMqttOptions {
  return {
    clientId: serviceClientId(`${name}-${randomBytes(4).toString('hex')}`),
    reconnectPeriod: 1000,
    reconnectOnConnackError: true,
    connectTimeout: 10_000,
    username: credentials.username,
    password: credentials.password,
  };
}
