/** Vehicle ids allowed in topics and the REST API (CONTRACT.md section 1). */
export const VEHICLE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

export const DEFAULT_TOPIC_PREFIX = 'fleet/v1';

export type VehicleChannel = 'telemetry' | 'status' | 'commands' | 'command-results';

const CHANNELS: ReadonlySet<string> = new Set<VehicleChannel>([
  'telemetry',
  'status',
  'commands',
  'command-results',
]);

/** Topic of one vehicle's channel, e.g. `fleet/v1/vehicles/car-1/telemetry`. */
export function vehicleTopic(prefix: string, vehicleId: string, channel: VehicleChannel): string {
  return `${prefix}/vehicles/${vehicleId}/${channel}`;
}

/** Subscription filter for a channel of every vehicle, e.g. `fleet/v1/vehicles/+/telemetry`. */
export function vehicleTopicFilter(prefix: string, channel: VehicleChannel): string {
  return `${prefix}/vehicles/+/${channel}`;
}

export interface ParsedVehicleTopic {
  vehicleId: string;
  channel: VehicleChannel;
}

/** Splits a vehicle topic into id and channel; null when the topic is not a valid vehicle topic. */
export function parseVehicleTopic(prefix: string, topic: string): ParsedVehicleTopic | null {
  const head = `${prefix}/vehicles/`;
  if (!topic.startsWith(head)) return null;
  const rest = topic.slice(head.length);
  const slash = rest.indexOf('/');
  if (slash < 0) return null;
  const vehicleId = rest.slice(0, slash);
  const channel = rest.slice(slash + 1);
  if (!VEHICLE_ID_PATTERN.test(vehicleId) || !CHANNELS.has(channel)) return null;
  return { vehicleId, channel: channel as VehicleChannel };
}
