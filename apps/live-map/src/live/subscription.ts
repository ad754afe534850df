import { VEHICLE_STATES, VehicleState } from '@fleet/domain';
import type { Bbox } from '../fleet/live-fleet';

/** A valid `subscribe` (CONTRACT.md 3). */
export interface Subscription {
  bbox: Bbox;
  zoom: number | null;
  /** Null: every state. */
  states: ReadonlySet<VehicleState> | null;
}

/** Error codes of the socket protocol, in acks and `connect_error`. */
export enum LiveErrorCode {
  Unauthorized = 'UNAUTHORIZED',
  Forbidden = 'FORBIDDEN',
  InvalidSubscription = 'INVALID_SUBSCRIPTION',
}

/** The ack of a refused `subscribe`. */
export interface SubscribeRefusal {
  ok: false;
  error: { code: LiveErrorCode; message: string };
}

const refuse = (message: string): SubscribeRefusal => ({
  ok: false,
  error: { code: LiveErrorCode.InvalidSubscription, message },
});

const isFiniteNumber = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

/**
 * Reads a `subscribe` payload: `{bbox: [west, south, east, north], zoom?, filter?: {states?}}` in
 * WGS84 degrees, west < east (a viewport across the antimeridian is two subscriptions' worth and
 * not supported), south < north. Unknown keys are refused, as the REST API refuses unknown fields.
 */
export function parseSubscription(body: unknown): Subscription | SubscribeRefusal {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return refuse('subscribe takes an object {bbox, zoom?, filter?}');
  }
  const { bbox, zoom, filter, ...rest } = body as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length) return refuse(`unknown field(s): ${unknown.join(', ')}`);
  if (!Array.isArray(bbox) || bbox.length !== 4 || !bbox.every(isFiniteNumber)) {
    return refuse('bbox must be [west, south, east, north], four numbers');
  }
  const [west, south, east, north] = bbox;
  if (west < -180 || east > 180 || south < -90 || north > 90) {
    return refuse('bbox must lie within longitudes -180..180 and latitudes -90..90');
  }
  if (!(west < east) || !(south < north)) return refuse('bbox must have west < east and south < north');
  if (zoom !== undefined && !(isFiniteNumber(zoom) && zoom >= 0 && zoom <= 24)) {
    return refuse('zoom must be a number from 0 to 24');
  }
  let states: Set<VehicleState> | null = null;
  if (filter !== undefined) {
    if (typeof filter !== 'object' || filter === null || Array.isArray(filter)) {
      return refuse('filter must be an object {states?}');
    }
    const { states: wanted, ...others } = filter as Record<string, unknown>;
    if (Object.keys(others).length)
      return refuse(`unknown filter field(s): ${Object.keys(others).join(', ')}`);
    if (wanted !== undefined) {
      if (!Array.isArray(wanted)) return refuse('filter.states must be an array of states');
      const bad = wanted.filter((s) => !(VEHICLE_STATES as readonly unknown[]).includes(s));
      if (bad.length) {
        return refuse(`unknown state(s): ${bad.map(String).join(', ')}; known: ${VEHICLE_STATES.join(', ')}`);
      }
      states = new Set(wanted as VehicleState[]);
    }
  }
  return { bbox: [west, south, east, north], zoom: zoom ?? null, states };
}

export function isRefusal(x: Subscription | SubscribeRefusal): x is SubscribeRefusal {
  return 'ok' in x;
}
