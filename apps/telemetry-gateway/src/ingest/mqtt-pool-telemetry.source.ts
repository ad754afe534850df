import { vehicleTopicFilter } from '@fleet/contracts';
import { Logger } from '@nestjs/common';
import mqtt, { MqttClient } from 'mqtt';
import { persistentSessionOptions, PersistentSessionSettings } from '../broker/persistent-session';
import { DeferredAcks } from './deferred-acks';
import { IncomingMessage, TelemetrySource } from './telemetry-source';

export interface MqttPoolOptions extends PersistentSessionSettings {
  url: string;
  topicPrefix: string;
  /** Number of connections on the shared subscription. */
  connections: number;
  /**
   * Messages in flight per connection awaiting their commit (MQTT 5 Receive Maximum; with MQTT 3.1.1
   * the broker's own limit applies, Mosquitto's `max_inflight_messages`).
   */
  receiveMaximum: number;
  /** Shared-subscription group, or null for one plain subscription on one connection. */
  sharedGroup: string | null;
  /** Stable prefix of the client ids, so that a restarted gateway resumes its sessions. */
  clientIdPrefix: string;
}

/**
 * Telemetry over a pool of persistent MQTT sessions on one shared subscription. A message's PUBACK
 * goes out only when our `ack` runs, after the commit, so a crash loses nothing: the broker
 * redelivers to the resumed session. Meanwhile each connection goes on reading (`DeferredAcks`), up
 * to `receiveMaximum` unacknowledged messages.
 */
export class MqttPoolTelemetrySource implements TelemetrySource {
  private readonly logger = new Logger(MqttPoolTelemetrySource.name);
  private clients: MqttClient[] = [];
  /** The connections whose subscription the broker granted since they last connected. */
  private readonly subscribed = new WeakSet<MqttClient>();

  constructor(private readonly options: MqttPoolOptions) {}

  async start(onMessage: (message: IncomingMessage) => void): Promise<void> {
    const { sharedGroup, topicPrefix } = this.options;
    const count = sharedGroup ? this.options.connections : 1;
    const filter = vehicleTopicFilter(topicPrefix, 'telemetry');
    const topic = sharedGroup ? `$share/${sharedGroup}/${filter}` : filter;
    this.clients = Array.from({ length: count }, (_, i) => this.connect(i, topic, onMessage));
    await Promise.all(
      this.clients.map(
        (c) => new Promise<void>((resolve) => (c.connected ? resolve() : c.once('connect', () => resolve()))),
      ),
    );
    this.logger.log(`${count} telemetry connection(s) subscribed to ${topic}`);
  }

  private connect(index: number, topic: string, onMessage: (message: IncomingMessage) => void): MqttClient {
    const o = this.options;
    const session = persistentSessionOptions(`${o.clientIdPrefix}-t${index}`, o);
    const client = mqtt.connect(o.url, {
      ...session,
      ...(o.protocolVersion === 5
        ? { properties: { ...session.properties, receiveMaximum: o.receiveMaximum } }
        : {}),
      resubscribe: false,
    });
    const acks = new DeferredAcks(client);
    if (!acks.supported && index === 0) {
      this.logger.warn(
        'MQTT.js internals changed: PUBACKs cannot be held, one message in flight per connection',
      );
    }
    client.handleMessage = (packet, callback) => {
      const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
      const ack = acks.hold(() => callback());
      onMessage({ topic: packet.topic, payload, receivedAtMs: Date.now(), ack });
    };
    // A resumed session keeps its subscription, except a shared one after a restart of Mosquitto 2.0
    // (which does not restore those): subscribing again covers that, and is harmless otherwise.
    client.on('connect', () => {
      this.subscribed.delete(client);
      client.subscribe(topic, { qos: 1 }, (err, granted) => {
        if (!err && granted?.every((g) => g.qos < 128)) this.subscribed.add(client);
        else this.logger.warn(`telemetry connection ${index}: subscription refused`);
      });
    });
    client.on('error', (err) => this.logger.warn(`telemetry connection ${index}: ${err.message}`));
    return client;
  }

  async stop(): Promise<void> {
    // Whatever is still unacknowledged stays in our persistent session; the broker redelivers it.
    await Promise.all(
      this.clients.map((c) => new Promise<void>((resolve) => c.end(false, {}, () => resolve()))),
    );
    this.clients = [];
  }

  isConnected(): boolean {
    return this.clients.length > 0 && this.clients.every((c) => c.connected && this.subscribed.has(c));
  }
}
