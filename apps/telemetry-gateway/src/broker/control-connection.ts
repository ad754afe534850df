import { Logger } from '@nestjs/common';
import mqtt, { IClientPublishOptions, MqttClient } from 'mqtt';
import { isPostgresDataError } from '../ingest/group-commit';
import { persistentSessionOptions, PersistentSessionSettings } from './persistent-session';

export type ControlHandler = (topic: string, payload: Buffer) => Promise<void>;

export interface ControlConnectionOptions extends PersistentSessionSettings {
  url: string;
  clientId: string;
}

/**
 * The gateway's low-volume MQTT session: vehicle status, command results, outgoing commands, broker
 * $SYS counters. Persistent, so results and status changes published while the gateway restarts are
 * delivered when it is back. A message is acknowledged after its handler finished (handlers retry
 * transient failures themselves).
 */
export class ControlConnection {
  private readonly logger = new Logger(ControlConnection.name);
  private readonly routes: { filter: string; matcher: RegExp; handler: ControlHandler; qos: 0 | 1 }[] = [];
  private client?: MqttClient;

  constructor(private readonly options: ControlConnectionOptions) {}

  /** Registers a handler; call before `connect`. */
  route(filter: string, handler: ControlHandler, qos: 0 | 1 = 1): void {
    this.routes.push({ filter, matcher: filterToRegExp(filter), handler, qos });
  }

  async connect(): Promise<void> {
    const client = mqtt.connect(
      this.options.url,
      persistentSessionOptions(this.options.clientId, this.options),
    );
    this.client = client;
    client.handleMessage = (packet, callback) => {
      const route = this.routes.find((r) => r.matcher.test(packet.topic));
      if (!route) return callback();
      const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
      route.handler(packet.topic, payload).then(
        () => callback(),
        (err: Error) => {
          this.logger.error(`handler for ${packet.topic} failed: ${err.message}`);
          callback();
        },
      );
    };
    client.on('connect', () => {
      for (const r of this.routes) client.subscribe(r.filter, { qos: r.qos });
    });
    client.on('error', (err) => this.logger.warn(`control connection: ${err.message}`));
    await new Promise<void>((resolve) => client.once('connect', () => resolve()));
  }

  /** Publishes and resolves when the broker has it (PUBACK for QoS 1). */
  publish(topic: string, payload: string, options: IClientPublishOptions): Promise<void> {
    const client = this.client;
    if (!client) return Promise.reject(new Error('control connection not started'));
    return new Promise((resolve, reject) =>
      client.publish(topic, payload, options, (err) => (err ? reject(err) : resolve())),
    );
  }

  isConnected(): boolean {
    return this.client?.connected ?? false;
  }

  async close(): Promise<void> {
    const client = this.client;
    if (client) await new Promise<void>((resolve) => client.end(false, {}, () => resolve()));
  }
}

/** MQTT topic filter (`+`, `#`) as a regular expression. */
function filterToRegExp(filter: string): RegExp {
  const parts = filter
    .split('/')
    .map((p) => (p === '+' ? '[^/]+' : p === '#' ? '.*' : p.replace(/[.*+?^${}()|[\]\\$]/g, '\\$&')));
  return new RegExp(`^${parts.join('/')}$`);
}

/**
 * Retries a database step for up to `totalMs` (10 minutes: a database outage the platform rides out),
 * except on a data error (SQLSTATE class 22 or 23), which no retry heals: that one is thrown at once,
 * so one bad message does not hold the control session up.
 */
export async function withRetry<T>(step: () => Promise<T>, totalMs = 600_000): Promise<T> {
  const deadline = Date.now() + totalMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await step();
    } catch (err) {
      if (isPostgresDataError(err) || Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, Math.min(100 * 2 ** attempt, 5000)));
    }
  }
}
