import { parseVehicleTopic, vehicleTopic, VehicleChannel } from '@fleet/contracts';

/**
 * Who a broker client is, once authenticated: one of the services (the platform's own account,
 * MQTT_USERNAME), or a vehicle under the credentials issued at its registration.
 */
export type BrokerIdentity = { kind: 'service' } | { kind: 'vehicle'; vehicleId: string };

/** The channels a vehicle publishes on, each only under its own id. */
const VEHICLE_PUBLISHES: ReadonlySet<VehicleChannel> = new Set<VehicleChannel>([
  'telemetry',
  'status',
  'command-results',
]);

/**
 * The broker's access rules (the embedded broker applies them; the Mosquitto ACL written by
 * `mosquittoAuthFiles` says the same): a vehicle may publish its own telemetry, status and command
 * results and subscribe to its own commands, nothing else; the services may do anything. So nobody
 * but the services publishes commands or internal topics.
 */
export function mayPublish(prefix: string, who: BrokerIdentity, topic: string): boolean {
  if (who.kind === 'service') return true;
  const t = parseVehicleTopic(prefix, topic);
  return t !== null && t.vehicleId === who.vehicleId && VEHICLE_PUBLISHES.has(t.channel);
}

/** Whether `who` may subscribe to `filter` (a vehicle: exactly its own commands topic). */
export function maySubscribe(prefix: string, who: BrokerIdentity, filter: string): boolean {
  return who.kind === 'service' || filter === vehicleTopic(prefix, who.vehicleId, 'commands');
}
