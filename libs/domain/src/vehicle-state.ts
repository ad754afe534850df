/** MDS 2.0 car-share vehicle states. */
export const VEHICLE_STATES = [
  'available',
  'reserved',
  'on_trip',
  'stopped',
  'non_operational',
  'non_contactable',
  'removed',
  'elsewhere',
] as const;
export type VehicleState = (typeof VEHICLE_STATES)[number];

/** MDS 2.0 car-share event types. */
export const VEHICLE_EVENT_TYPES = [
  'charging_start',
  'charging_end',
  'comms_lost',
  'comms_restored',
  'customer_cancellation',
  'decommissioned',
  'driver_cancellation',
  'fueling_start',
  'fueling_end',
  'maintenance',
  'maintenance_pick_up',
  'maintenance_end',
  'provider_cancellation',
  'recommissioned',
  'remote_start',
  'remote_end',
  'reservation_start',
  'reservation_stop',
  'service_start',
  'service_end',
  'trip_start',
  'trip_stop',
  'trip_resume',
  'trip_end',
  'trip_enter_jurisdiction',
  'trip_leave_jurisdiction',
] as const;
export type VehicleEventType = (typeof VEHICLE_EVENT_TYPES)[number];

type Edge = readonly [from: VehicleState, event: VehicleEventType, to: VehicleState];

/** States a car can lose its connection in; `comms_restored` returns it to the state it was in. */
const CONTACTABLE: readonly VehicleState[] = [
  'available',
  'elsewhere',
  'non_operational',
  'on_trip',
  'removed',
  'reserved',
  'stopped',
];

/** The MDS 2.0 car-share state machine: every allowed (from, event, to). */
const EDGES: readonly Edge[] = [
  ...CONTACTABLE.map((s): Edge => [s, 'comms_lost', 'non_contactable']),
  ...CONTACTABLE.map((s): Edge => ['non_contactable', 'comms_restored', s]),
  ['available', 'trip_leave_jurisdiction', 'elsewhere'],
  ['available', 'service_end', 'non_operational'],
  ['available', 'reservation_start', 'reserved'],
  ['elsewhere', 'trip_enter_jurisdiction', 'available'],
  ['elsewhere', 'trip_enter_jurisdiction', 'non_operational'],
  ['elsewhere', 'trip_enter_jurisdiction', 'on_trip'],
  ['elsewhere', 'trip_enter_jurisdiction', 'reserved'],
  ['non_operational', 'service_start', 'available'],
  ['non_operational', 'trip_leave_jurisdiction', 'elsewhere'],
  ['non_operational', 'decommissioned', 'removed'],
  ['non_operational', 'maintenance_pick_up', 'removed'],
  ['non_operational', 'maintenance', 'removed'],
  ['on_trip', 'trip_leave_jurisdiction', 'elsewhere'],
  ['on_trip', 'trip_stop', 'stopped'],
  ['removed', 'maintenance_end', 'non_operational'],
  ['removed', 'recommissioned', 'non_operational'],
  ['reserved', 'driver_cancellation', 'available'],
  ['reserved', 'customer_cancellation', 'available'],
  ['reserved', 'provider_cancellation', 'available'],
  ['reserved', 'trip_leave_jurisdiction', 'elsewhere'],
  ['reserved', 'reservation_stop', 'stopped'],
  ['stopped', 'driver_cancellation', 'available'],
  ['stopped', 'customer_cancellation', 'available'],
  ['stopped', 'provider_cancellation', 'available'],
  ['stopped', 'trip_end', 'available'],
  ['stopped', 'trip_resume', 'on_trip'],
  ['stopped', 'trip_start', 'on_trip'],
  ['stopped', 'charging_start', 'stopped'],
  ['stopped', 'charging_end', 'stopped'],
  ['stopped', 'fueling_start', 'stopped'],
  ['stopped', 'fueling_end', 'stopped'],
  ['stopped', 'remote_start', 'stopped'],
  ['stopped', 'remote_end', 'stopped'],
];

const key = (from: VehicleState, event: VehicleEventType) => `${from}|${event}`;
const TARGETS = new Map<string, Set<VehicleState>>();
for (const [from, event, to] of EDGES) {
  const k = key(from, event);
  if (!TARGETS.has(k)) TARGETS.set(k, new Set());
  TARGETS.get(k)!.add(to);
}

export class IllegalTransitionError extends Error {
  constructor(
    readonly from: VehicleState,
    readonly event: VehicleEventType,
    readonly to: VehicleState | undefined,
  ) {
    super(`vehicle state ${from} does not allow ${event}${to ? ` to ${to}` : ''}`);
    this.name = 'IllegalTransitionError';
  }
}

/** States an event may lead to from a state; empty when the event is not allowed there. */
export function targetsOf(from: VehicleState, event: VehicleEventType): VehicleState[] {
  return [...(TARGETS.get(key(from, event)) ?? [])];
}

export function isAllowedTransition(from: VehicleState, event: VehicleEventType, to: VehicleState): boolean {
  return TARGETS.get(key(from, event))?.has(to) ?? false;
}

/**
 * The state after `event` in `from`. Where an event can lead to several states (`comms_restored`,
 * `trip_enter_jurisdiction`) the caller names the one it means with `to`. Throws IllegalTransitionError
 * for a transition the MDS state machine does not allow.
 */
export function transition(from: VehicleState, event: VehicleEventType, to?: VehicleState): VehicleState {
  const targets = TARGETS.get(key(from, event));
  if (!targets) throw new IllegalTransitionError(from, event, to);
  if (to !== undefined) {
    if (!targets.has(to)) throw new IllegalTransitionError(from, event, to);
    return to;
  }
  if (targets.size !== 1) throw new IllegalTransitionError(from, event, to);
  return [...targets][0];
}

/** Every allowed transition, for documentation and exhaustive tests. */
export function allTransitions(): readonly Edge[] {
  return EDGES;
}
