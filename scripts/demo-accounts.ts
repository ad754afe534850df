/** The demo's driver account for a person trying the API (scripts/demo.ts registers it). */
export const DEMO_DRIVER = { email: 'driver@demo.fleet.local', password: 'demo-driver-password' };
