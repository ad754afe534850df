import {
  VEHICLE_CHANGES_PATTERN,
  VehicleChange,
  VehicleChangeBatch,
  VehicleChangeKind,
} from '@fleet/messaging';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { ClientProxy } from '@nestjs/microservices';
import { VehicleStateRepository } from '../database/vehicle-state.repository';

export const STATE_STREAM_CLIENT = Symbol('STATE_STREAM_CLIENT');

/** Changes per internal message: large commits are split so no message grows without bound. */
const MAX_CHANGES_PER_MESSAGE = 1000;

/**
 * Tells the other services what changed after each commit (position, lock, online, state) on the
 * internal vehicle-changes topic. Fire and forget: each message carries the full current view of the
 * vehicles it names, so a lost one is healed by the next.
 */
@Injectable()
export class StatePublisher {
  private readonly logger = new Logger(StatePublisher.name);

  constructor(
    @Inject(STATE_STREAM_CLIENT) private readonly client: ClientProxy,
    private readonly vehicleState: VehicleStateRepository,
  ) {}

  publish(changes: VehicleChange[]): void {
    for (let i = 0; i < changes.length; i += MAX_CHANGES_PER_MESSAGE) {
      const batch: VehicleChangeBatch = { changes: changes.slice(i, i + MAX_CHANGES_PER_MESSAGE) };
      this.client.emit(VEHICLE_CHANGES_PATTERN, batch).subscribe({
        error: (err: Error) => this.logger.warn(`state stream publish failed: ${err.message}`),
      });
    }
  }

  /** Publishes the current view of vehicles whose state changed outside a telemetry commit. */
  async publishViews(vehicleIds: string[], kinds: VehicleChangeKind[]): Promise<void> {
    try {
      const views = await this.vehicleState.views(vehicleIds);
      this.publish(views.map((v) => ({ ...v, kinds })));
    } catch (err) {
      this.logger.warn(`cannot publish vehicle views: ${(err as Error).message}`);
    }
  }
}
