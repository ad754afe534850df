import { ServiceName } from '@fleet/config';
import { SERVICE_RULES } from './broker-access';

/** An account line of a Mosquitto password file: username and `$7$` hash. */
export interface MosquittoAccount {
  username: string;
  passwordHash: string;
}

/** The files docker/mosquitto/mosquitto.conf reads, by name. */
export type MosquittoAuthFiles = Record<
  'vehicles.passwd' | 'vehicles.acl' | 'services.passwd' | 'services.acl',
  string
>;

const HEADER = '# Written by the Fleet telemetry gateway (MOSQUITTO_AUTH_DIR); edits are overwritten.\n';

/**
 * Mosquitto's password and ACL files for the two listeners of docker/mosquitto/mosquitto.conf, with
 * the rules of `mayPublish` / `maySubscribe`:
 * - the vehicles' listener: one account per registered vehicle, username = vehicle id (and, by
 *   `use_username_as_clientid`, client id = vehicle id); each may write its own telemetry, status and
 *   command results and read its own commands;
 * - the services' listener: one account per service, each with the rules of SERVICE_RULES (the
 *   gateway: everything).
 * Accounts are sorted, so the same database gives the same bytes (the file is rewritten, and the
 * broker reloaded, only on a change).
 */
export function mosquittoAuthFiles(
  prefix: string,
  services: Record<ServiceName, MosquittoAccount>,
  vehicles: readonly MosquittoAccount[],
): MosquittoAuthFiles {
  const line = (a: MosquittoAccount) => `${a.username}:${a.passwordHash}\n`;
  const sorted = [...vehicles].sort((a, b) =>
    a.username < b.username ? -1 : a.username > b.username ? 1 : 0,
  );
  const own = `${prefix}/vehicles/%u`;
  return {
    'vehicles.passwd': sorted.map(line).join(''),
    'vehicles.acl':
      HEADER +
      `pattern write ${own}/telemetry\n` +
      `pattern write ${own}/status\n` +
      `pattern write ${own}/command-results\n` +
      `pattern read ${own}/commands\n`,
    'services.passwd': Object.values(services).map(line).join(''),
    'services.acl': HEADER + servicesAcl(services),
  };
}

function servicesAcl(services: Record<ServiceName, MosquittoAccount>): string {
  let acl = `user ${services.gateway.username}\ntopic readwrite #\ntopic read $SYS/#\n`;
  for (const [service, rules] of Object.entries(SERVICE_RULES)) {
    acl += `\nuser ${services[service as ServiceName].username}\n`;
    for (const topic of rules.write) acl += `topic write ${topic}\n`;
    for (const topic of rules.read) acl += `topic read ${topic}\n`;
  }
  return acl;
}
