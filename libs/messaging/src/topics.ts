/**
 * Internal topics between the services, on the same broker as the cars (cars may not use them; see
 * docs/architecture.md). Constant, so that every service agrees without configuration.
 */
export const INTERNAL_PREFIX = 'fleet-internal/v1';

/** Gateway -> everyone: what changed after each commit (event, `VehicleChangeBatch`). */
export const VEHICLE_CHANGES_PATTERN = `${INTERNAL_PREFIX}/vehicle-changes`;

/** Anyone -> gateway: send a command to a car and wait for its outcome (request-response). */
export const SEND_COMMAND_PATTERN = `${INTERNAL_PREFIX}/commands/send`;
