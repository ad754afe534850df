import { PeriodicTask } from '@fleet/service-kit';
import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { GatewayConfig } from '../config/gateway.config';
import { VehicleStateRepository } from '../database/vehicle-state.repository';

/** Dead row versions below which vacuuming the latest-state table is not worth a pass. */
const MIN_DEAD_ROWS = 5_000;

/**
 * Vacuums the latest-state table every GATEWAY_STATE_VACUUM_S seconds when it has bloated. Each
 * telemetry sample leaves a dead row version there and autovacuum looks at a table at most once a
 * minute; in between, at 10,000 samples/s, every batch's update had to step over hundreds of
 * thousands of dead rows and commits slowed without end (bench/README.md).
 */
@Injectable()
export class StateVacuum implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(StateVacuum.name);
  private readonly task = new PeriodicTask('vacuum of vehicle_state', this.logger, async () => {
    const started = Date.now();
    const dead = await this.vehicleState.vacuumIfBloated(MIN_DEAD_ROWS);
    if (dead !== null)
      this.logger.debug(`vacuumed vehicle_state (${dead} dead rows) in ${Date.now() - started} ms`);
  });

  constructor(
    private readonly config: GatewayConfig,
    private readonly vehicleState: VehicleStateRepository,
  ) {}

  onApplicationBootstrap(): void {
    const periodS = this.config.GATEWAY_STATE_VACUUM_S;
    if (periodS > 0) this.task.start(periodS * 1000);
  }

  onApplicationShutdown(): void {
    this.task.stop();
  }
}
