import { BrokerIdentity, mayPublish, maySubscribe } from '@fleet/messaging';
import { Logger } from '@nestjs/common';
import { createBroker } from 'aedes';
import type Aedes from 'aedes';
import type { Client, PublishPacket } from 'aedes';
import { createServer, Server } from 'node:net';
import { BrokerAuthenticator } from './broker-authenticator';

/**
 * Takes a client's PUBLISH before the broker acknowledges it. Returns a promise to hold the PUBACK until
 * it settles, or null to let the message through at once.
 */
export type PublishInterceptor = (packet: PublishPacket) => Promise<void> | null;

/** Where a refused PUBLISH goes: a `$` topic, which no wildcard matches and nobody may subscribe to. */
const REFUSED_TOPIC = '$fleet/refused';

/** CONNACK return codes of MQTT 3.1.1. */
const SERVER_UNAVAILABLE = 3;
const BAD_CREDENTIALS = 4;

/** What the broker refused since it started, by kind (exported as metrics). */
export interface BrokerRefusals {
  connect: number;
  publish: number;
  subscribe: number;
}

/**
 * The MQTT broker the gateway embeds when no MQTT_URL is configured (development, demo, tests): aedes,
 * MQTT 3.1.1, in memory. Cars and the other services connect to it on MQTT_PORT; the gateway takes
 * telemetry in-process (see EmbeddedTelemetrySource).
 *
 * Access (docs/architecture.md, "Broker access"): every client authenticates (BrokerAuthenticator);
 * a vehicle's client id becomes its vehicle id (as Mosquitto's `use_username_as_clientid`), so no car
 * can take over another's session or a service's; `mayPublish` / `maySubscribe` decide the rest. A
 * refused PUBLISH is acknowledged and dropped, as Mosquitto does under MQTT 3.1.1 (closing the
 * connection instead would make the car send it again after every reconnect), and counted; a refused
 * SUBSCRIBE gets return code 0x80.
 */
export class EmbeddedBroker {
  private readonly logger = new Logger(EmbeddedBroker.name);
  readonly aedes: Aedes;
  readonly refused: BrokerRefusals = { connect: 0, publish: 0, subscribe: 0 };
  private server?: Server;
  private interceptors: PublishInterceptor[] = [];
  private authenticator?: BrokerAuthenticator;
  private readonly identities = new WeakMap<Client, BrokerIdentity>();
  private readonly loggedRefusal = new WeakSet<Client>();

  constructor(private readonly topicPrefix: string) {
    this.aedes = createBroker();
    this.aedes.authenticate = (client, username, password, done) => {
      const authenticator = this.authenticator;
      if (!authenticator) return done(connackError(SERVER_UNAVAILABLE, 'broker not ready'), false);
      authenticator.authenticate(username, password).then(
        (who) => {
          if (!who) {
            this.refused.connect++;
            return done(connackError(BAD_CREDENTIALS, 'bad user name or password'), false);
          }
          if (who.kind === 'vehicle') client.id = who.vehicleId;
          this.identities.set(client, who);
          done(null, true);
        },
        (err: Error) => {
          this.logger.warn(`cannot check credentials of ${username}: ${err.message}`);
          done(connackError(SERVER_UNAVAILABLE, 'credentials cannot be checked now'), false);
        },
      );
    };
    // aedes writes a QoS 1 PUBACK before it delivers to subscribers, but only after authorizePublish
    // calls back, and it handles one packet of a client at a time: holding the callback until our
    // commit makes the car's PUBACK mean "stored".
    this.aedes.authorizePublish = (client, packet, callback) => {
      // No client: a will aedes publishes for a client that is gone (authorized when it connected).
      const who: BrokerIdentity | undefined = client
        ? this.identities.get(client)
        : { kind: 'service', service: 'gateway' };
      if (!who || !mayPublish(this.topicPrefix, who, packet.topic)) {
        this.refuse('publish', client, packet.topic);
        packet.topic = REFUSED_TOPIC;
        packet.retain = false;
        return callback(null);
      }
      const held = this.interceptors.map((intercept) => intercept(packet)).find((p) => p !== null);
      if (!held) return callback(null);
      held.then(
        () => callback(null),
        (err: Error) => callback(err),
      );
    };
    this.aedes.authorizeSubscribe = (client, subscription, callback) => {
      const who = this.identities.get(client);
      if (who && maySubscribe(this.topicPrefix, who, subscription.topic)) return callback(null, subscription);
      this.refuse('subscribe', client, subscription.topic);
      callback(null, null);
    };
    // Only what a client may subscribe to reaches it (retained messages included).
    this.aedes.authorizeForward = (client, packet) => {
      const who = this.identities.get(client);
      if (!who || packet.topic === REFUSED_TOPIC) return null;
      return maySubscribe(this.topicPrefix, who, packet.topic) ? packet : null;
    };
  }

  /** Lets clients in: until this is called every connection is refused (server unavailable). */
  secure(authenticator: BrokerAuthenticator): void {
    this.authenticator = authenticator;
  }

  async listen(port: number, host = '0.0.0.0'): Promise<void> {
    this.server = createServer(this.aedes.handle);
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, host, () => resolve());
    });
    this.logger.log(`embedded MQTT broker (aedes, MQTT 3.1.1) listening on ${host}:${port}`);
  }

  intercept(interceptor: PublishInterceptor): void {
    this.interceptors.push(interceptor);
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.aedes.close(() => resolve()));
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private refuse(kind: 'publish' | 'subscribe', client: Client | null, topic: string): void {
    this.refused[kind]++;
    // Once a client: a misbehaving car must not flood the log.
    if (client && !this.loggedRefusal.has(client)) {
      this.loggedRefusal.add(client);
      this.logger.warn(`refused ${kind} of client ${client.id} on ${topic} (further refusals counted only)`);
    }
  }
}

function connackError(returnCode: number, message: string): Error & { returnCode: number } {
  return Object.assign(new Error(message), { returnCode });
}
