import { Inject, Injectable, Optional } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { EmbeddedBroker } from '../broker/embedded-broker';

/** The gateway's counters, in Prometheus format at /metrics. */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  readonly messagesReceived = new Counter({
    name: 'fleet_telemetry_messages_received_total',
    help: 'Telemetry messages taken off the broker',
    registers: [this.registry],
  });
  readonly samplesReceived = new Counter({
    name: 'fleet_telemetry_samples_received_total',
    help: 'Samples in received messages (a message that is not JSON counts as one)',
    registers: [this.registry],
  });
  readonly samplesStored = new Counter({
    name: 'fleet_telemetry_samples_stored_total',
    help: 'Samples committed to history',
    registers: [this.registry],
  });
  readonly samplesRejected = new Counter({
    name: 'fleet_telemetry_samples_rejected_total',
    help: 'Samples or messages put into quarantine, by reason code',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly duplicates = new Counter({
    name: 'fleet_telemetry_duplicates_total',
    help: 'Samples absorbed as duplicates',
    registers: [this.registry],
  });
  readonly batchSamples = new Histogram({
    name: 'fleet_telemetry_batch_samples',
    help: 'Samples per committed batch',
    buckets: [1, 10, 50, 100, 250, 500, 1000, 2500, 5000, 10000],
    registers: [this.registry],
  });
  readonly commitSeconds = new Histogram({
    name: 'fleet_telemetry_commit_seconds',
    help: 'Time to commit one batch',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly ackSeconds = new Histogram({
    name: 'fleet_telemetry_receive_to_ack_seconds',
    help: 'Time from receiving a message to acknowledging it after its commit',
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers: [this.registry],
  });
  readonly commitFailures = new Counter({
    name: 'fleet_telemetry_commit_failures_total',
    help: 'Batches whose commit failed and was retried',
    registers: [this.registry],
  });
  readonly pendingMessages = new Gauge({
    name: 'fleet_telemetry_pending_messages',
    help: 'Messages received and not yet committed',
    registers: [this.registry],
  });
  readonly commsTransitions = new Counter({
    name: 'fleet_vehicle_comms_transitions_total',
    help: 'Vehicles going offline (comms_lost) or coming back (comms_restored)',
    labelNames: ['event'] as const,
    registers: [this.registry],
  });
  readonly commands = new Counter({
    name: 'fleet_commands_total',
    help: 'Commands by final status',
    labelNames: ['type', 'status'] as const,
    registers: [this.registry],
  });
  readonly brokerDropped = new Gauge({
    name: 'fleet_broker_messages_dropped',
    help: "The broker's own count of dropped messages ($SYS/broker/publish/messages/dropped, Mosquitto)",
    registers: [this.registry],
  });

  constructor(@Optional() @Inject(EmbeddedBroker) embedded: EmbeddedBroker | null) {
    collectDefaultMetrics({ register: this.registry, prefix: 'fleet_gateway_' });
    if (!embedded) return;
    new Gauge({
      name: 'fleet_broker_refused',
      help: "What the embedded broker refused since its start: connections (bad credentials), publishes and subscriptions outside the client's rights",
      labelNames: ['kind'] as const,
      registers: [this.registry],
      collect() {
        const refused: Record<string, number> = { ...embedded.refused };
        for (const [kind, count] of Object.entries(refused)) this.set({ kind }, count);
      },
    });
  }
}
