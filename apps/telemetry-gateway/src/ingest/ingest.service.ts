import { parseTelemetryPayload, parseVehicleTopic, RejectReason, TelemetryLimits } from '@fleet/contracts';
import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { GatewayConfig } from '../config/gateway.config';
import { MetricsService } from '../metrics/metrics.service';
import { GroupCommit, isPostgresDataError } from './group-commit';
import { PendingMessage } from './pending-message';
import { TelemetryBatchCommitter } from './telemetry-batch.committer';
import { IncomingMessage, TelemetrySource } from './telemetry-source';

export const TELEMETRY_SOURCE = Symbol('TELEMETRY_SOURCE');

/**
 * The telemetry chain: receive -> parse and validate (contracts) -> group commit (screen, dedupe,
 * persist, quarantine) -> acknowledge -> publish. Messages are acknowledged only after their commit.
 */
@Injectable()
export class IngestService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(IngestService.name);
  private readonly writer: GroupCommit<PendingMessage>;
  private readonly limits: TelemetryLimits;
  private paused = false;

  constructor(
    private readonly config: GatewayConfig,
    @Inject(TELEMETRY_SOURCE) private readonly source: TelemetrySource,
    private readonly committer: TelemetryBatchCommitter,
    private readonly metrics: MetricsService,
  ) {
    this.limits = {
      maxPayloadBytes: config.TELEMETRY_MAX_PAYLOAD_BYTES,
      maxSamplesPerMessage: config.TELEMETRY_MAX_SAMPLES_PER_MESSAGE,
    };
    this.writer = new GroupCommit<PendingMessage>({
      commit: (batch) => this.committer.commit(batch),
      weight: (m) => Math.max(1, m.samples.length),
      maxBatchWeight: config.INGEST_MAX_BATCH_SAMPLES,
      concurrency: config.INGEST_COMMIT_CONCURRENCY,
      isDataError: isPostgresDataError,
      onPoison: (m, err) => this.committer.quarantinePoison(m, err),
      onRetry: (err, attempt) => {
        this.metrics.commitFailures.inc();
        if (attempt === 1 || attempt % 20 === 0) {
          this.logger.warn(`commit failed (attempt ${attempt}), retrying: ${(err as Error).message}`);
        }
      },
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.source.start((m) => this.receive(m));
  }

  /** On shutdown: take no more, commit and acknowledge what is in flight, then close the sessions. */
  async beforeApplicationShutdown(): Promise<void> {
    this.paused = true;
    const timeoutMs = this.config.GATEWAY_SHUTDOWN_TIMEOUT_S * 1000;
    const drained = await Promise.race([
      this.writer.drain().then(() => true),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), timeoutMs).unref()),
    ]);
    if (!drained) {
      this.logger.warn(
        `${this.writer.pending} message(s) not committed in ${timeoutMs} ms; the broker will redeliver them`,
      );
    }
    await this.source.stop();
    this.logger.log('telemetry sessions closed');
  }

  get connected(): boolean {
    return this.source.isConnected();
  }

  receive(message: IncomingMessage): void {
    // While stopping, a message is neither taken nor acknowledged: the broker redelivers it.
    if (this.paused) return;
    this.metrics.messagesReceived.inc();
    const pending = this.parse(message);
    this.metrics.samplesReceived.inc(pending.samples.length + pending.rejects.length);
    this.writer.push(pending);
    this.metrics.pendingMessages.set(this.writer.pending);
  }

  private parse(message: IncomingMessage): PendingMessage {
    const topic = parseVehicleTopic(this.config.MQTT_TOPIC_PREFIX, message.topic);
    const vehicleId = topic?.vehicleId ?? null;
    const whole = (reason: RejectReason, details: string): PendingMessage => ({
      ...message,
      vehicleId,
      samples: [],
      sampleIndexes: [],
      rejects: [{ reason, details, raw: message.payload, sampleIndex: null }],
    });
    if (!topic) return whole(RejectReason.InvalidTopic, 'topic names no valid vehicle id');
    try {
      return {
        ...message,
        vehicleId,
        ...parseTelemetryPayload(topic.vehicleId, message.payload, this.limits),
      };
    } catch (err) {
      // The parser is built never to throw; should it anyway, the message is kept, not lost.
      this.logger.error(`parser failed on a message of ${topic.vehicleId}: ${(err as Error).message}`);
      return whole(RejectReason.SchemaViolation, `could not be parsed: ${(err as Error).message}`);
    }
  }
}
