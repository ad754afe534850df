import { Logger } from '@nestjs/common';
import { createBroker } from 'aedes';
import type Aedes from 'aedes';
import type { PublishPacket } from 'aedes';
import { createServer, Server } from 'node:net';

/**
 * Takes a client's PUBLISH before the broker acknowledges it. Returns a promise to hold the PUBACK until
 * it settles, or null to let the message through at once.
 */
export type PublishInterceptor = (packet: PublishPacket) => Promise<void> | null;

/**
 * The MQTT broker the gateway embeds when no MQTT_URL is configured (development, demo, tests): aedes,
 * MQTT 3.1.1, in memory. Cars and the other services connect to it on MQTT_PORT; the gateway takes
 * telemetry in-process (see EmbeddedTelemetrySource).
 */
export class EmbeddedBroker {
  private readonly logger = new Logger(EmbeddedBroker.name);
  readonly aedes: Aedes;
  private server?: Server;
  private interceptors: PublishInterceptor[] = [];

  constructor() {
    this.aedes = createBroker();
    // aedes writes a QoS 1 PUBACK before it delivers to subscribers, but only after authorizePublish
    // calls back, and it handles one packet of a client at a time: holding the callback until our
    // commit makes the car's PUBACK mean "stored".
    this.aedes.authorizePublish = (_client, packet, callback) => {
      const held = this.interceptors.map((intercept) => intercept(packet)).find((p) => p !== null);
      if (!held) return callback(null);
      held.then(
        () => callback(null),
        (err: Error) => callback(err),
      );
    };
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
}
