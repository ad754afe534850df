import { Logger } from '@nestjs/common';
import { createBroker } from 'aedes';
import type Aedes from 'aedes';
import type { PublishPacket } from 'aedes';
import { createServer, Server } from 'node:net';

/**
 * The MQTT broker the gateway embeds when no MQTT_URL is configured (development, demo, tests): aedes,
 * MQTT 3.1.1, in memory. Cars and the other services connect to it on MQTT_PORT; the gateway itself
 * subscribes to telemetry in-process (see EmbeddedTelemetrySource).
 */
export class EmbeddedBroker {
  private readonly logger = new Logger(EmbeddedBroker.name);
  readonly aedes: Aedes;
  private server?: Server;

  constructor() {
    // In-process deliveries wait for our commit; concurrency bounds how many may wait at once across
    // all cars (each car's own messages are handled one after another by aedes).
    this.aedes = createBroker({ concurrency: 100_000 });
  }

  async listen(port: number, host = '0.0.0.0'): Promise<void> {
    this.server = createServer(this.aedes.handle);
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, host, () => resolve());
    });
    this.logger.log(`embedded MQTT broker (aedes, MQTT 3.1.1) listening on ${host}:${port}`);
  }

  /** In-process subscription whose callback completes the delivery (and so the publisher's PUBACK). */
  subscribe(topic: string, handler: (packet: PublishPacket, done: () => void) => void): void {
    this.aedes.subscribe(topic, handler, () => undefined);
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.aedes.close(() => resolve()));
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
