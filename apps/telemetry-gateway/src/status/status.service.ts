import {
  parseVehicleTopic,
  RejectReason,
  VehicleStatusDto,
  vehicleTopicFilter,
  parseJsonMessage,
} from '@fleet/contracts';
import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ControlConnection, withRetry } from '../broker/control-connection';
import { GatewayConfig } from '../config/gateway.config';
import { QuarantineRow, TelemetryRepository } from '../database/telemetry.repository';
import { CommsTransition, VehicleStateRepository } from '../database/vehicle-state.repository';
import { MetricsService } from '../metrics/metrics.service';
import { StatePublisher } from '../state-stream/state-publisher';

/**
 * Online/offline: the retained status topic (`{"online": true}` on connect, `{"online": false}` as the
 * will) and a silence timeout for cars that vanish without a will. Transitions are written as
 * `comms_lost`/`comms_restored` events; offline cars are `non_contactable`.
 */
@Injectable()
export class StatusService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(StatusService.name);
  private sweepTimer?: NodeJS.Timeout;

  constructor(
    private readonly config: GatewayConfig,
    private readonly control: ControlConnection,
    private readonly vehicleState: VehicleStateRepository,
    private readonly telemetry: TelemetryRepository,
    private readonly publisher: StatePublisher,
    private readonly metrics: MetricsService,
  ) {
    control.route(vehicleTopicFilter(config.MQTT_TOPIC_PREFIX, 'status'), (topic, payload) =>
      this.onStatus(topic, payload),
    );
    control.route(
      '$SYS/broker/publish/messages/dropped',
      async (_t, payload) => {
        const dropped = Number(payload.toString());
        if (Number.isFinite(dropped)) this.metrics.brokerDropped.set(dropped);
      },
      0,
    );
  }

  onApplicationBootstrap(): void {
    this.sweepTimer = setInterval(() => void this.sweepSilent(), this.config.VEHICLE_SILENCE_CHECK_S * 1000);
  }

  onApplicationShutdown(): void {
    clearInterval(this.sweepTimer);
  }

  async onStatus(topic: string, payload: Buffer): Promise<void> {
    const parsed = parseVehicleTopic(this.config.MQTT_TOPIC_PREFIX, topic);
    if (!parsed)
      return this.quarantine(
        topic,
        null,
        RejectReason.InvalidTopic,
        'topic names no valid vehicle id',
        payload,
      );
    if (payload.length === 0) return; // a cleared retained message
    const message = parseJsonMessage(VehicleStatusDto, payload, 'status');
    if (!message.ok)
      return this.quarantine(topic, parsed.vehicleId, message.reason, message.details, payload);
    const status = message.value;
    const id = parsed.vehicleId;
    const transitions = await withRetry(() =>
      status.online
        ? this.vehicleState.markOnline([id])
        : this.vehicleState.markOffline([id], 'status offline (will message)'),
    );
    if (transitions.length === 0 && !(await this.vehicleState.existing([id])).has(id)) {
      return this.quarantine(
        topic,
        id,
        RejectReason.UnknownVehicle,
        `no vehicle ${id} is registered`,
        payload,
      );
    }
    this.announce(transitions, status.online ? 'comms_restored' : 'comms_lost');
  }

  async sweepSilent(): Promise<void> {
    try {
      const transitions = await this.vehicleState.markSilentOffline(this.config.VEHICLE_SILENCE_TIMEOUT_S);
      this.announce(transitions, 'comms_lost');
    } catch (err) {
      this.logger.warn(`silence check failed: ${(err as Error).message}`);
    }
  }

  private announce(transitions: CommsTransition[], event: 'comms_lost' | 'comms_restored'): void {
    if (transitions.length === 0) return;
    this.metrics.commsTransitions.inc({ event }, transitions.length);
    void this.publisher.publishViews(
      transitions.map((t) => t.vehicleId),
      ['online', 'state'],
    );
  }

  private async quarantine(
    topic: string,
    vehicleId: string | null,
    reason: RejectReason,
    details: string,
    payload: Buffer,
  ): Promise<void> {
    const row: QuarantineRow = { topic, vehicleId, reason, details, sampleIndex: null, payload };
    await withRetry(() =>
      this.telemetry.insertQuarantine(this.telemetry.manager, [row], this.config.QUARANTINE_MAX_STORED_BYTES),
    );
    this.metrics.samplesRejected.inc({ reason });
  }
}
