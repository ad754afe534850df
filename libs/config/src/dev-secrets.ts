import { createHash, randomBytes } from 'node:crypto';
import {
  existsSync,
  linkSync,
  mkdirSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/**
 * The secrets a deployment must set (CONTRACT.md 6). Outside production an unset one is taken from
 * this installation's development secrets file instead; in production, or when a service listens
 * beyond loopback, it must come from the environment.
 */
export const SECRET_SETTINGS = [
  'JWT_SECRET',
  'FLEET_OPERATOR_PASSWORD',
  'MQTT_GATEWAY_PASSWORD',
  'MQTT_BOOKING_PASSWORD',
  'MQTT_LIVE_MAP_PASSWORD',
] as const;
export type SecretSetting = (typeof SECRET_SETTINGS)[number];

/**
 * SHA-256 of the values earlier versions of this repository used as development defaults. Anyone
 * who read the repository knows them, so no service accepts them, in any mode.
 */
const PUBLISHED_DEFAULTS: ReadonlySet<string> = new Set([
  'aaa18dfb667a2d9a68fcb8edb02c7f68581b548420c73d020cf725034ff0cbf6', // the JWT signing key
  '78f0554bdd3d6c42c6f0cd7a3012e5b8d6664c198ad4dc88ebbf97ec5d1251af', // the services' MQTT password
  '59d504b980f96034e3d89ad0ad13906be95eca50df5f72697dc371b5d400574b', // the first operator's password
]);

/** Whether `value` is a development default this repository once published. */
export function isPublishedDefault(value: string): boolean {
  return PUBLISHED_DEFAULTS.has(createHash('sha256').update(value).digest('hex'));
}

/** The project's root: the nearest folder above this code with a package.json. */
function projectRoot(): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) return process.cwd();
  }
}

/** Where the development secrets live: FLEET_SECRETS_FILE, else `.fleet/secrets.env` in the project. */
export function devSecretsPath(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.FLEET_SECRETS_FILE || join(projectRoot(), '.fleet', 'secrets.env'));
}

/**
 * This installation's development secrets, made on first use: random (32 bytes, base64url), kept
 * in a file only its owner may read (0600), which git ignores. Every service and test of the
 * installation reads the same file, so booking signs with the key the live map checks. Two processes
 * starting together agree: the file is written aside and linked into place, and the first link wins.
 */
export function devSecrets(path = devSecretsPath()): Record<SecretSetting, string> {
  const held = readSecrets(path);
  if (SECRET_SETTINGS.every((name) => held[name])) return held as Record<SecretSetting, string>;
  const complete = { ...held };
  for (const name of SECRET_SETTINGS) complete[name] ||= randomBytes(32).toString('base64url');
  const text =
    '# Development secrets of this installation, made by Fleet on first start. Never used in\n' +
    '# production, nor when a service listens beyond loopback: set real ones in the environment.\n' +
    SECRET_SETTINGS.map((name) => `${name}=${complete[name]}\n`).join('');
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const aside = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`;
  writeFileSync(aside, text, { mode: 0o600 });
  try {
    if (Object.keys(held).length === 0)
      linkSync(aside, path); // EEXIST: another process was first
    else renameSync(aside, path); // a file of an older version, without the newer settings
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    if (existsSync(aside)) unlinkSync(aside);
  }
  return readSecrets(path) as Record<SecretSetting, string>;
}

/**
 * A secret as a service of this installation takes it: the environment's, else the development one.
 * For tests and benchmarks that must hold the same key or password as the services they start.
 */
export function configuredSecret(name: SecretSetting, env: NodeJS.ProcessEnv = process.env): string {
  return env[name] || devSecrets()[name];
}

function readSecrets(path: string): Partial<Record<SecretSetting, string>> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw err;
  }
  const secrets: Partial<Record<SecretSetting, string>> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z_]+)=(\S+)$/.exec(line.trim());
    if (m && (SECRET_SETTINGS as readonly string[]).includes(m[1])) secrets[m[1] as SecretSetting] = m[2];
  }
  return secrets;
}
