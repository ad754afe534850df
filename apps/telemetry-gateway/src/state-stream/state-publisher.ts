import { emitVehicleChanges, VehicleChange, VehicleChangeKind } from '@fleet/messaging';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { ClientProxy } from '@nestjs/microservices';
import { VehicleStateRepository } from '../database/vehicle-state.repository';

export const STATE_STREAM_CLIENT = Symbol('STATE_STREAM_CLIENT');

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
    emitVehicleChanges(this.client, changes, (err) =>
      this.logger.warn(`state stream publish failed: ${err.message}`),
    );
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
