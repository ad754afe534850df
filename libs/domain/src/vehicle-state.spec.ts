import {
  allTransitions,
  IllegalTransitionError,
  isAllowedTransition,
  targetsOf,
  transition,
  VEHICLE_EVENT_TYPES,
  VEHICLE_STATES,
  VehicleEventType,
  VehicleState,
} from './vehicle-state';

type Edge = readonly [from: VehicleState, event: VehicleEventType, to: VehicleState];

/** States a car can lose its connection in (all but non_contactable itself). */
const CONTACTABLE: VehicleState[] = [
  'available',
  'elsewhere',
  'non_operational',
  'on_trip',
  'removed',
  'reserved',
  'stopped',
];

/**
 * The car-share "Vehicle States Events" table of MDS 2.0 (modes/car-share.md), transcribed row by row
 * (comms_lost / comms_restored rows generated from CONTACTABLE).
 */
const MDS_CAR_SHARE: readonly Edge[] = [
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

const edgeKey = ([from, event, to]: Edge) => `${from} --${event}--> ${to}`;

/** Every (state, event) pair. */
const ALL_PAIRS: [VehicleState, VehicleEventType][] = VEHICLE_STATES.flatMap((s) =>
  VEHICLE_EVENT_TYPES.map((e): [VehicleState, VehicleEventType] => [s, e]),
);

describe('vehicle state machine', () => {
  it('allows exactly the transitions of the MDS 2.0 car-share table', () => {
    const actual = allTransitions().map(edgeKey).sort();
    expect(actual).toEqual(MDS_CAR_SHARE.map(edgeKey).sort());
    expect(new Set(actual).size).toBe(actual.length);
  });

  it.each(allTransitions().map((e) => [edgeKey(e), e] as const))(
    '%s is allowed by isAllowedTransition and transition()',
    (_name, [from, event, to]) => {
      expect(isAllowedTransition(from, event, to)).toBe(true);
      expect(targetsOf(from, event)).toContain(to);
      expect(transition(from, event, to)).toBe(to);
    },
  );

  it('applies an event with a single target without naming it', () => {
    expect(transition('available', 'reservation_start')).toBe('reserved');
    expect(transition('reserved', 'reservation_stop')).toBe('stopped');
    expect(transition('stopped', 'trip_start')).toBe('on_trip');
    expect(transition('on_trip', 'trip_stop')).toBe('stopped');
    expect(transition('stopped', 'trip_end')).toBe('available');
    expect(transition('stopped', 'charging_start')).toBe('stopped');
  });

  it.each<[VehicleState, VehicleEventType, VehicleState | undefined]>([
    ['on_trip', 'trip_end', 'available'],
    ['on_trip', 'trip_end', undefined],
    ['available', 'trip_start', 'on_trip'],
    ['available', 'trip_start', undefined],
    ['reserved', 'trip_start', 'on_trip'],
    ['reserved', 'trip_resume', 'on_trip'],
    ['non_contactable', 'reservation_start', 'reserved'],
    ['non_contactable', 'reservation_start', undefined],
    ['removed', 'recommissioned', 'available'],
    ['removed', 'service_start', 'available'],
    ['removed', 'comms_restored', 'available'],
    ['available', 'reservation_start', 'on_trip'],
    ['non_contactable', 'comms_lost', 'non_contactable'],
    ['non_contactable', 'comms_restored', 'non_contactable'],
    ['available', 'comms_lost', 'available'],
    ['elsewhere', 'trip_enter_jurisdiction', 'stopped'],
    ['available', 'charging_start', 'available'],
  ])('refuses %s --%s--> %s with IllegalTransitionError', (from, event, to) => {
    if (to !== undefined) expect(isAllowedTransition(from, event, to)).toBe(false);
    let thrown: unknown;
    try {
      transition(from, event, to);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(IllegalTransitionError);
    expect(thrown).toMatchObject({ from, event, to });
    expect((thrown as Error).message).toContain(from);
    expect((thrown as Error).message).toContain(event);
  });

  it.each(CONTACTABLE)('comms_lost in %s leads to non_contactable', (state) => {
    expect(transition(state, 'comms_lost')).toBe('non_contactable');
  });

  it('cannot lose comms again while non_contactable', () => {
    expect(() => transition('non_contactable', 'comms_lost')).toThrow(IllegalTransitionError);
  });

  describe('comms_restored', () => {
    it('requires the caller to name the state to return to', () => {
      expect(() => transition('non_contactable', 'comms_restored')).toThrow(IllegalTransitionError);
    });

    it.each(CONTACTABLE)('returns to %s when named', (state) => {
      expect(transition('non_contactable', 'comms_restored', state)).toBe(state);
    });

    it('is only possible from non_contactable', () => {
      for (const state of CONTACTABLE) {
        expect(targetsOf(state, 'comms_restored')).toEqual([]);
      }
    });
  });

  it('requires naming the target of trip_enter_jurisdiction', () => {
    expect(() => transition('elsewhere', 'trip_enter_jurisdiction')).toThrow(IllegalTransitionError);
    expect(transition('elsewhere', 'trip_enter_jurisdiction', 'on_trip')).toBe('on_trip');
  });

  it('refuses every (state, event) pair the table does not list, for every target', () => {
    const listed = new Set(MDS_CAR_SHARE.map(([from, event]) => `${from}|${event}`));
    const unlisted = ALL_PAIRS.filter(([s, e]) => !listed.has(`${s}|${e}`));
    expect(unlisted.length).toBe(VEHICLE_STATES.length * VEHICLE_EVENT_TYPES.length - listed.size);
    for (const [from, event] of unlisted) {
      expect(targetsOf(from, event)).toEqual([]);
      for (const to of VEHICLE_STATES) {
        expect(isAllowedTransition(from, event, to)).toBe(false);
        expect(() => transition(from, event, to)).toThrow(IllegalTransitionError);
      }
      expect(() => transition(from, event)).toThrow(IllegalTransitionError);
    }
  });

  it('for listed pairs, refuses every target the table does not list', () => {
    const allowed = new Set(MDS_CAR_SHARE.map(edgeKey));
    for (const [from, event] of ALL_PAIRS) {
      for (const to of VEHICLE_STATES) {
        const edge: Edge = [from, event, to];
        expect([edgeKey(edge), isAllowedTransition(from, event, to)]).toEqual([
          edgeKey(edge),
          allowed.has(edgeKey(edge)),
        ]);
      }
    }
  });
});
