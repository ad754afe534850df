import {
  CommandMessage,
  CommandResultDto,
  COMMAND_TYPES,
  parseJsonMessage,
  isFinalCommandStatus,
  parseVehicleTopic,
  vehicleTopic,
  vehicleTopicFilter,
  VEHICLE_ID_PATTERN,
} from '@fleet/contracts';
import { CommandErrorCode, CommandView, SendCommandRequest, SendCommandResponse } from '@fleet/messaging';
import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { ControlConnection, withRetry } from '../broker/control-connection';
import { GatewayConfig } from '../config/gateway.config';
import { MetricsService } from '../metrics/metrics.service';
import { CommandsRepository } from './commands.repository';

/**
 * Commands to cars: records the command (queued, with the car's next counter), publishes it with id,
 * issuedAt, expiresAt and counter (sent), waits for the car's result (succeeded, failed, rejected) or the expiry (expired). Never
 * sends `immobilize` to a moving car.
 */
@Injectable()
export class CommandsService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(CommandsService.name);
  private readonly waiters = new Map<string, (command: CommandView) => void>();
  private sweepTimer?: NodeJS.Timeout;

  constructor(
    private readonly config: GatewayConfig,
    private readonly control: ControlConnection,
    private readonly commands: CommandsRepository,
    private readonly metrics: MetricsService,
  ) {
    control.route(vehicleTopicFilter(config.MQTT_TOPIC_PREFIX, 'command-results'), (topic, payload) =>
      this.onResult(topic, payload),
    );
  }

  onApplicationBootstrap(): void {
    // Commands whose waiter is gone (another instance, a restart) still expire on time.
    this.sweepTimer = setInterval(() => void this.sweepExpired(), 1000);
  }

  onApplicationShutdown(): void {
    clearInterval(this.sweepTimer);
  }

  async send(request: SendCommandRequest): Promise<SendCommandResponse> {
    const invalid = validateRequest(request);
    if (invalid) return { error: { code: CommandErrorCode.InvalidCommand, message: invalid } };
    const vehicle = await this.commands.vehicleSpeed(request.vehicleId);
    if (!vehicle)
      return {
        error: { code: CommandErrorCode.VehicleNotFound, message: `no vehicle ${request.vehicleId}` },
      };

    const issuedAt = new Date();
    const expiresAt = new Date(issuedAt.getTime() + (request.ttlMs ?? this.config.COMMAND_TTL_S * 1000));
    const base = {
      id: randomUUID(),
      vehicleId: request.vehicleId,
      type: request.type,
      requestedBy: request.requestedBy,
      issuedAt,
      expiresAt,
    };

    if (
      request.type === 'immobilize' &&
      (vehicle.speedKmh ?? 0) > this.config.COMMAND_IMMOBILIZE_MAX_SPEED_KMH
    ) {
      const { command: refused } = await this.commands.insert({
        ...base,
        status: 'rejected',
        reason: 'VEHICLE_MOVING',
      });
      this.metrics.commands.inc({ type: refused.type, status: refused.status });
      return { command: refused };
    }

    const { command: queued, counter } = await this.commands.insert({ ...base, status: 'queued' });
    const outcome = new Promise<CommandView>((resolve) => this.waiters.set(queued.id, resolve));
    const message: CommandMessage = {
      commandId: queued.id,
      type: queued.type,
      issuedAt: queued.issuedAt,
      expiresAt: queued.expiresAt,
      counter: counter!,
    };
    try {
      await this.control.publish(
        vehicleTopic(this.config.MQTT_TOPIC_PREFIX, request.vehicleId, 'commands'),
        JSON.stringify(message),
        { qos: 1 },
      );
      await this.commands.markSent(queued.id);
    } catch (err) {
      this.logger.warn(`command ${queued.id} could not be published: ${(err as Error).message}`);
    }
    const timer = setTimeout(
      () => void this.expireOne(queued.id),
      Math.max(0, expiresAt.getTime() - Date.now()),
    );
    const final = await outcome;
    clearTimeout(timer);
    this.metrics.commands.inc({ type: final.type, status: final.status });
    return { command: final };
  }

  async onResult(topic: string, payload: Buffer): Promise<void> {
    const vehicleId = parseVehicleTopic(this.config.MQTT_TOPIC_PREFIX, topic)?.vehicleId;
    const message = parseJsonMessage(CommandResultDto, payload, 'command result');
    if (!vehicleId || !message.ok) {
      this.logger.warn(
        `ignoring invalid command result on ${topic}: ${message.ok ? 'bad topic' : message.details}`,
      );
      return;
    }
    const result = message.value;
    const done = await withRetry(() =>
      this.commands.complete(result.commandId, vehicleId, result.status, result.reason ?? null),
    );
    if (done) this.settle(done);
    else this.logger.debug(`late or unknown command result ${result.commandId} from ${vehicleId}`);
  }

  private async expireOne(id: string): Promise<void> {
    try {
      const [expired] = await this.commands.expire(id);
      const final = expired ?? (await this.commands.find(id));
      if (final && isFinalCommandStatus(final.status)) this.settle(final);
    } catch (err) {
      this.logger.warn(`cannot expire command ${id}: ${(err as Error).message}`);
      setTimeout(() => void this.expireOne(id), 1000);
    }
  }

  private async sweepExpired(): Promise<void> {
    try {
      for (const c of await this.commands.expire()) this.settle(c);
    } catch (err) {
      this.logger.warn(`command expiry sweep failed: ${(err as Error).message}`);
    }
  }

  private settle(command: CommandView): void {
    const waiter = this.waiters.get(command.id);
    if (!waiter) return;
    this.waiters.delete(command.id);
    waiter(command);
  }
}

function validateRequest(r: SendCommandRequest): string | null {
  if (typeof r?.vehicleId !== 'string' || !VEHICLE_ID_PATTERN.test(r.vehicleId))
    return 'vehicleId is not a valid vehicle id';
  if (!(COMMAND_TYPES as readonly string[]).includes(r.type))
    return `type must be one of ${COMMAND_TYPES.join(', ')}`;
  if (r.ttlMs !== undefined && !(Number.isInteger(r.ttlMs) && r.ttlMs >= 1000 && r.ttlMs <= 3_600_000)) {
    return 'ttlMs must be an integer from 1000 to 3600000';
  }
  return null;
}
