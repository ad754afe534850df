/** Everyone with an account: drivers, and the operator's staff in four roles (CONTRACT.md 5). */
export const ROLES = ['driver', 'service_agent', 'support', 'fleet_manager', 'admin'] as const;

export type Role = (typeof ROLES)[number];

/** The staff roles, least to most privileged ("operator" in part one of the contract means any). */
export const STAFF_ROLES = ['service_agent', 'support', 'fleet_manager', 'admin'] as const;

export type StaffRole = (typeof STAFF_ROLES)[number];

export const isRole = (value: unknown): value is Role => ROLES.includes(value as Role);

export const isStaff = (role: Role): role is StaffRole => role !== 'driver';
