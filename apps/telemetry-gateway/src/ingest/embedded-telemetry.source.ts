import { vehicleTopicFilter } from '@fleet/contracts';
import { EmbeddedBroker } from '../broker/embedded-broker';
import { IncomingMessage, TelemetrySource } from './telemetry-source';

/**
 * Telemetry straight from the embedded broker, in-process. The broker acknowledges a car's message
 * only when our `ack` runs, i.e. after the commit: ack-after-commit end to end, and every car's
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
    this.broker.subscribe(vehicleTopicFilter(this.topicPrefix, 'telemetry'), (packet, done) => {
      if (!this.running) return; // shutting down: the car keeps the message and sends it again
      const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
      onMessage({ topic: packet.topic, payload, receivedAtMs: Date.now(), ack: done });
    });
  }

  async stop(): Promise<void> {
    this.running = false;
  }

  isConnected(): boolean {
    return this.running;
  }
}
