import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { isIP } from 'node:net';
import { isPublishedDefault, SECRET_SETTINGS, SecretSetting } from './dev-secrets';
import { secretsFromDevFile, toBool } from './load-config';

/** Settings every service shares (CONTRACT.md section 4). */
export class CommonConfig {
  /** PostgreSQL with PostGIS. */
  @Matches(/^postgres(ql)?:\/\//, { message: 'DATABASE_URL must be a postgres:// URL' })
  DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/fleet';

  /** The broker cars and services use; unset means the gateway embeds one on MQTT_PORT. */
  @IsOptional()
  @Matches(/^(mqtts?|wss?|tcp):\/\//, {
    message: 'MQTT_URL must be an mqtt://, mqtts://, ws:// or wss:// URL',
  })
  MQTT_URL?: string;

  /** Port of the embedded broker (only when MQTT_URL is unset). */
  @IsInt()
  @Min(1)
  @Max(65535)
  MQTT_PORT = 1883;

  /**
   * The address the service's HTTP server (and the gateway's embedded broker) listens on. Loopback
   * by default; any other address needs real secrets (`secretProblems`).
   */
  @Matches(/^[^\s/]+$/, { message: 'BIND_HOST must be a host name or an IP address' })
  BIND_HOST = '127.0.0.1';

  /** Topic prefix of the vehicle protocol. */
  @Matches(/^[^#+\s]+[^/#+\s]$/, {
    message: 'MQTT_TOPIC_PREFIX must be a topic without wildcards or trailing /',
  })
  MQTT_TOPIC_PREFIX = 'fleet/v1';

  @IsIn(['error', 'warn', 'log', 'debug', 'verbose'])
  LOG_LEVEL = 'log';

  @Transform(({ value }) => toBool(value))
  @IsBoolean()
  PRODUCTION = process.env.NODE_ENV === 'production';
}

/** The broker URL services connect to: MQTT_URL, or the embedded broker on localhost. */
export function brokerUrl(config: Pick<CommonConfig, 'MQTT_URL' | 'MQTT_PORT'>): string {
  return config.MQTT_URL ?? `mqtt://127.0.0.1:${config.MQTT_PORT}`;
}

/**
 * The services' broker accounts, one per service, each allowed only what that service does
 * (libs/messaging broker-access.ts). The gateway knows all three passwords: it checks them (embedded
 * broker) or writes their hashes into Mosquitto's files.
 */
export const SERVICE_ACCOUNTS = {
  gateway: { username: 'fleet-gateway', setting: 'MQTT_GATEWAY_PASSWORD' },
  booking: { username: 'fleet-booking', setting: 'MQTT_BOOKING_PASSWORD' },
  liveMap: { username: 'fleet-live-map', setting: 'MQTT_LIVE_MAP_PASSWORD' },
} as const satisfies Record<string, { username: string; setting: SecretSetting }>;
export type ServiceName = keyof typeof SERVICE_ACCOUNTS;

/** The broker username and password `service` connects with, from its configuration. */
export function serviceAccount(
  config: Partial<Record<SecretSetting, string>>,
  service: ServiceName,
): { username: string; password: string } {
  const { username, setting } = SERVICE_ACCOUNTS[service];
  const password = config[setting];
  if (!password) throw new Error(`${setting} is not in this service's configuration`);
  return { username, password };
}

/** Every service's broker account (the gateway's configuration has all three passwords). */
export function serviceAccounts(
  config: Partial<Record<SecretSetting, string>>,
): Record<ServiceName, { username: string; password: string }> {
  return {
    gateway: serviceAccount(config, 'gateway'),
    booking: serviceAccount(config, 'booking'),
    liveMap: serviceAccount(config, 'liveMap'),
  };
}

/** The usernames of the services' accounts: no vehicle may be registered under one. */
export const SERVICE_USERNAMES: ReadonlySet<string> = new Set(
  Object.values(SERVICE_ACCOUNTS).map((a) => a.username),
);

/** Whether `host` is a loopback address (only this machine can reach it). */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h === '::1') return true;
  return isIP(h) === 4 && h.startsWith('127.');
}

/**
 * What keeps a service from starting with these secrets, empty when nothing does. No secret may be a
 * value this repository once published. In production, and when listening beyond loopback
 * (BIND_HOST), every secret the service has must be set in the environment: the development secrets
 * file serves only a service that nobody else can reach.
 */
export function secretProblems(config: CommonConfig): string[] {
  const values = config as unknown as Partial<Record<SecretSetting, string>>;
  const own = SECRET_SETTINGS.filter((name) => name in config);
  const problems = own
    .filter((name) => values[name] && isPublishedDefault(values[name]))
    .map((name) => `${name} is a development value published in the Fleet repository: set one of your own`);
  const exposed = !isLoopback(config.BIND_HOST);
  if (!config.PRODUCTION && !exposed) return problems;
  const fromFile = secretsFromDevFile(config);
  const missing = own.filter((name) => !values[name] || fromFile.has(name));
  if (missing.length > 0) {
    const why = config.PRODUCTION ? 'in production' : `to listen on ${config.BIND_HOST} (beyond loopback)`;
    problems.push(`${missing.join(', ')} must be set ${why}; see docs/configuration.md, "Secrets"`);
  }
  return problems;
}
