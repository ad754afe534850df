import { ServiceName } from '@fleet/config';
import { parseVehicleTopic, vehicleTopic, VehicleChannel } from '@fleet/contracts';
import { SEND_COMMAND_PATTERN, VEHICLE_CHANGES_PATTERN, INTERNAL_PREFIX } from './topics';

/**
 * Who a broker client is, once authenticated: one of the services, each under its own account
 * (SERVICE_ACCOUNTS), or a vehicle under the credentials issued at its registration.
 */
export type BrokerIdentity =
  { kind: 'service'; service: ServiceName } | { kind: 'vehicle'; vehicleId: string };

/** The channels a vehicle publishes on, each only under its own id. */
const VEHICLE_PUBLISHES: ReadonlySet<VehicleChannel> = new Set<VehicleChannel>([
  'telemetry',
  'status',
  'command-results',
]);

/** Nest's MQTT transport answers a request on `<pattern>/reply`. */
const COMMAND_REPLIES = `${SEND_COMMAND_PATTERN}/reply`;

/**
 * What each service account may do besides the gateway, which runs the broker's side of the platform
 * and may do anything. Booking: ask the gateway for commands (and read the answers), and take part in
 * the state stream and the other internal messages; it never reaches a car's topics. The live map:
 * read the state stream, nothing else. Exact topics: Mosquitto's ACL (mosquitto-auth.ts) says the same.
 */
export const SERVICE_RULES: Record<Exclude<ServiceName, 'gateway'>, { write: string[]; read: string[] }> = {
  booking: { write: [`${INTERNAL_PREFIX}/#`], read: [COMMAND_REPLIES, VEHICLE_CHANGES_PATTERN] },
  liveMap: { write: [], read: [VEHICLE_CHANGES_PATTERN] },
};

/**
 * The broker's access rules (the embedded broker applies them; the Mosquitto ACL written by
 * `mosquittoAuthFiles` says the same): a vehicle may publish its own telemetry, status and command
 * results and subscribe to its own commands, nothing else; each service what SERVICE_RULES gives it.
 * So nobody but the gateway publishes commands to cars.
 */
export function mayPublish(prefix: string, who: BrokerIdentity, topic: string): boolean {
  if (who.kind === 'service') {
    return who.service === 'gateway' || SERVICE_RULES[who.service].write.some((rule) => covers(rule, topic));
  }
  const t = parseVehicleTopic(prefix, topic);
  return t !== null && t.vehicleId === who.vehicleId && VEHICLE_PUBLISHES.has(t.channel);
}

/** Whether `who` may subscribe to `filter` (a vehicle: exactly its own commands topic). */
export function maySubscribe(prefix: string, who: BrokerIdentity, filter: string): boolean {
  if (who.kind === 'service') {
    return who.service === 'gateway' || SERVICE_RULES[who.service].read.includes(filter);
  }
  return filter === vehicleTopic(prefix, who.vehicleId, 'commands');
}

/** Whether a rule (an exact topic, or `<head>/#`) covers a topic a client publishes on. */
function covers(rule: string, topic: string): boolean {
  return rule.endsWith('/#') ? topic.startsWith(rule.slice(0, -1)) : rule === topic;
}
