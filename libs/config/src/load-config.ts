import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { devSecrets, SECRET_SETTINGS, SecretSetting } from './dev-secrets';

/** The secrets each loaded configuration took from the development secrets file. */
const fromDevFile = new WeakMap<object, ReadonlySet<SecretSetting>>();

/** The secrets `config` took from the development secrets file (none in production). */
export function secretsFromDevFile(config: object): ReadonlySet<SecretSetting> {
  return fromDevFile.get(config) ?? new Set();
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Builds a typed config from environment variables. The class's property names are the variable
 * names; its initialisers are the defaults; its class-validator rules decide what is valid. Throws a
 * ConfigError naming every invalid variable, so a service fails at start with a clear message.
 * A secret (SECRET_SETTINGS) left unset is taken, outside production, from the installation's
 * development secrets file; in production it stays empty and is refused.
 */
export function loadConfig<T extends object>(cls: new () => T, env: NodeJS.ProcessEnv = process.env): T {
  const defaults = new cls() as Record<string, unknown>;
  const raw: Record<string, unknown> = {};
  const given: Record<string, string> = {};
  for (const key of Object.keys(defaults)) {
    const value = env[key];
    if (value === undefined || value === '') continue;
    given[key] = value;
    raw[key] = convertLike(defaults[key], value);
  }
  const config = plainToInstance(cls, { ...defaults, ...raw });
  const unset = SECRET_SETTINGS.filter((name) => name in defaults && !(name in given));
  const production = (config as { PRODUCTION?: boolean }).PRODUCTION === true;
  if (unset.length > 0 && !production) {
    const secrets = devSecrets();
    for (const name of unset) (config as Record<string, unknown>)[name] = secrets[name];
    fromDevFile.set(config, new Set(unset));
  }
  const errors = validateSync(config, { forbidUnknownValues: false });
  if (errors.length > 0) {
    throw new ConfigError(
      errors.map((e) =>
        (SECRET_SETTINGS as readonly string[]).includes(e.property)
          ? given[e.property]
            ? `${e.property} (not shown): ${Object.values(e.constraints ?? {}).join(', ')}`
            : `${e.property} must be set in production`
          : `${e.property}=${given[e.property] ?? JSON.stringify(defaults[e.property] ?? null)}: ${Object.values(e.constraints ?? {}).join(', ')}`,
      ),
    );
  }
  return config;
}

/** An environment string converted to the type of the setting's default (numbers, booleans). */
function convertLike(defaultValue: unknown, value: string): unknown {
  if (typeof defaultValue === 'number') return value.trim() === '' ? value : Number(value);
  if (typeof defaultValue === 'boolean') return toBool(value);
  return value;
}

/** Parses boolean-ish environment values (`true/false/1/0/yes/no/on/off`). */
export function toBool(value: unknown): unknown {
  if (typeof value === 'boolean') return value;
  if (typeof value !== 'string') return value;
  const v = value.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  return value;
}
