import { TelemetryReject, TelemetrySample } from '@fleet/contracts';

/** A received telemetry message, parsed, waiting for its commit. */
export interface PendingMessage {
  topic: string;
  /** Null when the topic names no valid vehicle. */
  vehicleId: string | null;
  payload: Buffer;
  samples: TelemetrySample[];
  /** Each sample's index in the message's array (null for a single-object message). */
  sampleIndexes: (number | null)[];
  /** Rejects found while parsing (whole message or single samples). */
  rejects: TelemetryReject[];
  receivedAtMs: number;
  ack: () => void;
}
