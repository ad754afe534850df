import { readVehicleViews } from '@fleet/domain';
import { emitVehicleChanges } from '@fleet/messaging';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { ClientProxy } from '@nestjs/microservices';
import { DataSource } from 'typeorm';
import { GATEWAY_CLIENT } from '../commands/vehicle-commander';
import { NearbyIndexService } from './nearby-index.service';

/**
 * Tells the other services (the live map, other booking instances) about the state changes booking
 * makes (reserved, on a trip, parked, available, maintenance), on the same internal stream the
 * gateway uses for telemetry. Fire and forget after the commit: each message carries the full current
 * view of its cars, so a lost one is healed by the next.
 */
@Injectable()
export class StateChangePublisher {
  private readonly logger = new Logger(StateChangePublisher.name);

  constructor(
    @Inject(GATEWAY_CLIENT) private readonly client: ClientProxy,
    private readonly dataSource: DataSource,
    private readonly nearby: NearbyIndexService,
  ) {}

  async publish(vehicleIds: string[]): Promise<void> {
    try {
      const views = await readVehicleViews(this.dataSource, vehicleIds);
      // This instance's nearby search sees its own writes at once; the others hear the stream.
      this.nearby.apply(views);
      emitVehicleChanges(
        this.client,
        views.map((v) => ({ ...v, kinds: ['state'] })),
        (err) => this.logger.warn(`state stream publish failed: ${err.message}`),
      );
    } catch (err) {
      this.logger.warn(`cannot publish state changes of ${vehicleIds.join(', ')}: ${(err as Error).message}`);
    }
  }
}
