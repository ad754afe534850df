/** One telemetry message off the broker; `ack` is called once its samples are committed. */
export interface IncomingMessage {
  topic: string;
  payload: Buffer;
  receivedAtMs: number;
  ack: () => void;
}

/** Where telemetry messages come from: a pool of MQTT connections, or the embedded broker. */
export interface TelemetrySource {
  start(onMessage: (message: IncomingMessage) => void): Promise<void>;
  /** Stops taking messages; unacknowledged ones are redelivered by the broker later. */
  stop(): Promise<void>;
  /** True while the source can receive (connected, and subscribed where that applies). */
  isConnected(): boolean;
}
