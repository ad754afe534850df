import type { ClientProxy } from '@nestjs/microservices';
import { VehicleChange, VehicleChangeBatch } from './payloads';
import { VEHICLE_CHANGES_PATTERN } from './topics';

/** Changes per internal message: large sets are split so that no message grows without bound. */
const MAX_CHANGES_PER_MESSAGE = 1000;

/**
 * Emits vehicle changes on the state stream, fire and forget: each change is a car's full current
 * view, so a lost message is healed by the car's next change. `onError` hears a failed emit.
 */
export function emitVehicleChanges(
  client: ClientProxy,
  changes: readonly VehicleChange[],
  onError: (err: Error) => void,
): void {
  for (let i = 0; i < changes.length; i += MAX_CHANGES_PER_MESSAGE) {
    const batch: VehicleChangeBatch = { changes: changes.slice(i, i + MAX_CHANGES_PER_MESSAGE) };
    client.emit(VEHICLE_CHANGES_PATTERN, batch).subscribe({ error: onError });
  }
}
