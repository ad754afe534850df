import type { CommandType } from '@fleet/contracts';
import {
  CommandErrorCode,
  CommandView,
  SEND_COMMAND_PATTERN,
  SendCommandRequest,
  SendCommandResponse,
} from '@fleet/messaging';
import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { ClientProxy } from '@nestjs/microservices';
import { firstValueFrom, timeout } from 'rxjs';
import { ApiError, notFound } from '../common/api-error';
import { BookingConfig } from '../config/booking.config';

/** The MQTT client proxy to the gateway's command API. */
export const GATEWAY_CLIENT = Symbol('GATEWAY_CLIENT');

/** How long past a command's expiry the gateway may take to answer before we call it unreachable. */
const RPC_GRACE_MS = 10_000;

/**
 * Commands to cars through the telemetry gateway (request-response over the internal MQTT
 * transport): the gateway records the command, sends it to the car and answers with its final status.
 */
@Injectable()
export class VehicleCommander implements OnApplicationShutdown {
  constructor(
    @Inject(GATEWAY_CLIENT) private readonly gateway: ClientProxy,
    private readonly config: BookingConfig,
  ) {}

  /** Sends a command and waits for its final status (succeeded, failed, rejected, expired). */
  async send(vehicleId: string, type: CommandType, requestedBy: string): Promise<CommandView> {
    const ttlMs = this.config.VEHICLE_COMMAND_TIMEOUT_S * 1000;
    const request: SendCommandRequest = { vehicleId, type, requestedBy, ttlMs };
    let response: SendCommandResponse;
    try {
      response = await firstValueFrom(
        this.gateway
          .send<SendCommandResponse>(SEND_COMMAND_PATTERN, request)
          .pipe(timeout(ttlMs + RPC_GRACE_MS)),
      );
    } catch (err) {
      throw new ApiError(
        503,
        'GATEWAY_UNAVAILABLE',
        `the vehicle gateway did not answer (${(err as Error).message}); try again`,
      );
    }
    if ('command' in response) return response.command;
    switch (response.error.code) {
      case CommandErrorCode.VehicleNotFound:
        throw notFound('vehicle', 'VEHICLE_NOT_FOUND');
      case CommandErrorCode.InvalidCommand:
        throw new ApiError(400, 'VALIDATION_FAILED', response.error.message);
    }
  }

  /**
   * Sends a command the car must carry out for a handover (unlock, lock): returns when the car
   * confirmed it; 504 VEHICLE_TIMEOUT when it did not answer in time, 502 VEHICLE_REJECTED when it
   * refused or failed.
   */
  async confirm(vehicleId: string, type: 'unlock' | 'lock', requestedBy: string): Promise<CommandView> {
    const command = await this.send(vehicleId, type, requestedBy);
    switch (command.status) {
      case 'succeeded':
        return command;
      case 'expired':
      case 'queued':
      case 'sent':
        throw new ApiError(504, 'VEHICLE_TIMEOUT', `the car did not confirm ${type} in time`, {
          commandId: command.id,
        });
      case 'rejected':
      case 'failed':
        throw new ApiError(
          502,
          'VEHICLE_REJECTED',
          `the car refused ${type}${command.reason ? `: ${command.reason}` : ''}`,
          { commandId: command.id },
        );
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.gateway.close();
  }
}
