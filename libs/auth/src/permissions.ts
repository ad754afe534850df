import type { CommandType } from '@fleet/contracts';
import { Role, STAFF_ROLES } from './roles';

/**
 * Who may call an endpoint: anyone (`public`), anyone logged in (`signed_in`), or these roles.
 * Ownership is the service's rule on top: a driver reaches only their own reservations and trips
 * (404 otherwise, so nobody learns what exists).
 */
export type Access = 'public' | 'signed_in' | readonly Role[];

export interface Permission {
  access: Access;
  /** What the docs say beyond the roles. */
  note?: string;
  /** Reachable by an admin or fleet manager who has not enrolled TOTP yet where it is enforced. */
  beforeMfa?: true;
}

const STAFF = STAFF_ROLES;
/** Staff who look after drivers and their trips, and above. */
const SUPPORT_UP: readonly Role[] = ['support', 'fleet_manager', 'admin'];
const MANAGERS: readonly Role[] = ['fleet_manager', 'admin'];
const ADMIN: readonly Role[] = ['admin'];
const DRIVER: readonly Role[] = ['driver'];
const OWN_OR_SUPPORT: readonly Role[] = ['driver', ...SUPPORT_UP];

const open: Permission = { access: 'public' };
const gbfs = (file: string) => [`GET /gbfs/${file}`, open] as const;

/**
 * The permission table: every endpoint of every service, keyed `METHOD /path` as the route is
 * declared (booking's paths without `/api/v1`; the live map's socket namespace as `SOCKET /live`).
 * The booking guard and the live map's handshake read it, a test checks that every route has exactly
 * one row, and docs/permissions.md is generated from it (`npm run docs:permissions`). An endpoint
 * without a row is refused to everyone.
 */
export const PERMISSIONS: Readonly<Record<string, Permission>> = {
  'GET /health': open,
  'POST /auth/register': open,
  'POST /auth/login': open,
  'POST /auth/refresh': open,
  'POST /auth/password': { access: 'public', note: 'with a one-time link token' },
  'POST /auth/logout': { access: 'signed_in', beforeMfa: true },
  'GET /vehicles/nearby': open,
  'GET /zones': open,
  ...Object.fromEntries(
    [
      'gbfs.json',
      'system_information.json',
      'vehicle_types.json',
      'vehicle_status.json',
      'geofencing_zones.json',
      'system_pricing_plans.json',
    ].map(gbfs),
  ),

  'GET /me': { access: 'signed_in', beforeMfa: true },
  'PATCH /me': { access: 'signed_in', beforeMfa: true },
  'GET /me/export': { access: 'signed_in', beforeMfa: true },
  'DELETE /me': { access: DRIVER, note: 'staff accounts are blocked by an admin instead' },
  'POST /me/mfa/totp': { access: 'signed_in', beforeMfa: true },
  'POST /me/mfa/totp/verify': { access: 'signed_in', beforeMfa: true },
  'GET /me/trips': { access: 'signed_in', note: "the caller's own trips" },

  'POST /reservations': { access: DRIVER },
  'GET /reservations/:id': { access: OWN_OR_SUPPORT, note: 'a driver: their own only' },
  'DELETE /reservations/:id': { access: OWN_OR_SUPPORT, note: 'a driver: their own only' },
  'POST /trips': { access: DRIVER },
  'POST /trips/:id/park': { access: DRIVER, note: 'their own trip' },
  'POST /trips/:id/resume': { access: DRIVER, note: 'their own trip' },
  'POST /trips/:id/end': { access: DRIVER, note: 'their own trip' },
  'GET /trips/:id': { access: OWN_OR_SUPPORT, note: 'a driver: their own only' },
  'GET /trips/:id/route': { access: OWN_OR_SUPPORT, note: 'a driver: their own only' },

  'POST /vehicles': { access: MANAGERS },
  'GET /vehicles': { access: STAFF },
  'GET /vehicles/:id': { access: STAFF },
  'PATCH /vehicles/:id': { access: ['service_agent', ...MANAGERS] },
  'GET /vehicles/:id/track': { access: SUPPORT_UP, note: 'a track shows where drivers went' },
  'POST /vehicles/:id/commands': {
    access: STAFF,
    note: 'by command type (below); unlock and immobilize need a reason, recorded in the audit log',
  },
  'POST /vehicles/:id/credentials': { access: MANAGERS, note: 'needs a reason, recorded in the audit log' },
  'GET /telemetry/rejects': { access: SUPPORT_UP },
  'POST /zones': { access: MANAGERS },
  'DELETE /zones/:id': { access: MANAGERS },

  'GET /staff': { access: ADMIN },
  'POST /staff': { access: ADMIN },
  'PATCH /staff/:id': { access: ADMIN },
  'GET /audit': { access: ADMIN },

  'SOCKET /live': { access: STAFF, note: "the live map's socket.io namespace" },
};

/** Which staff may send which command to a car (on top of `POST /vehicles/:id/commands`). */
export const COMMAND_PERMISSIONS: Readonly<Record<CommandType, readonly Role[]>> = {
  locate: STAFF,
  honk: STAFF,
  lock: STAFF,
  unlock: STAFF,
  immobilize: MANAGERS,
};

/** Commands that change who can get into or move a car: a reason is required and recorded. */
export const STEP_UP_COMMANDS: ReadonlySet<CommandType> = new Set<CommandType>(['unlock', 'immobilize']);

/** Roles that enrol TOTP (CONTRACT.md 5); enforced where MFA_ENFORCED is on. */
export const MFA_ROLES: readonly Role[] = MANAGERS;

/** Whether `role` passes `access` (for a caller without a token, `role` is null). */
export function allows(access: Access, role: Role | null): boolean {
  if (access === 'public') return true;
  if (role === null) return false;
  return access === 'signed_in' || access.includes(role);
}
