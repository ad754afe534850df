import { EmbeddedBroker } from '../broker/embedded-broker';
import { IncomingMessage, TelemetrySource } from './telemetry-source';

/**
 * Telemetry straight from the embedded broker, in-process: the broker acknowledges a car's message
 * only when our `ack` runs, i.e. after the commit. Ack-after-commit end to end, and every car's
 * messages in flight at once instead of one per MQTT connection.
 */
export class EmbeddedTelemetrySource implements TelemetrySource {
  private running = false;

  constructor(
    private readonly broker: EmbeddedBroker,
    private readonly topicPrefix: string,
  ) {}

  async start(onMessage: (message: IncomingMessage) => void): Promise<void> {
    this.running = true;
    this.broker.intercept((packet) => {
      if (!packet.topic.startsWith(`${this.topicPrefix}/vehicles/`) || !packet.topic.endsWith('/telemetry'))
        return null;
      // Shutting down: never acknowledged, the car sends it again to the next gateway.
      if (!this.running) return new Promise<void>(() => undefined);
      const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
      return new Promise<void>((ack) =>
        onMessage({ topic: packet.topic, payload, receivedAtMs: Date.now(), ack: () => ack() }),
      );
    });
  }

  async stop(): Promise<void> {
    this.running = false;
  }

  isConnected(): boolean {
    return this.running;
  }
}
