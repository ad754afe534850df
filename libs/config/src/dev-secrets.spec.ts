import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { devSecrets, isPublishedDefault, SECRET_SETTINGS } from './dev-secrets';
import { loadConfig, secretsFromDevFile } from './load-config';
import { CommonConfig, isLoopback, secretProblems } from './common';
import { IsString, MinLength } from 'class-validator';

const folder = () => mkdtempSync(join(tmpdir(), 'fleet-secrets-'));

class ServiceConfig extends CommonConfig {
  @IsString()
  @MinLength(32)
  JWT_SECRET = '';
}

describe('development secrets', () => {
  it('are made once per installation: random, long, in a file only its owner reads', () => {
    const path = join(folder(), '.fleet', 'secrets.env');
    const first = devSecrets(path);
    expect(devSecrets(path)).toEqual(first);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    for (const name of SECRET_SETTINGS) expect(first[name]).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(new Set(Object.values(first)).size).toBe(SECRET_SETTINGS.length);
    expect(devSecrets(join(folder(), 'secrets.env')).JWT_SECRET).not.toBe(first.JWT_SECRET);
  });

  it('keep what an older file holds and add what it lacks', () => {
    const path = join(folder(), 'secrets.env');
    writeFileSync(path, 'JWT_SECRET=kept-from-before-kept-from-before-1234\n', { mode: 0o600 });
    const secrets = devSecrets(path);
    expect(secrets.JWT_SECRET).toBe('kept-from-before-kept-from-before-1234');
    expect(readFileSync(path, 'utf8')).toContain(`MQTT_GATEWAY_PASSWORD=${secrets.MQTT_GATEWAY_PASSWORD}`);
  });

  it("fill a service's unset secrets outside production, and say so", () => {
    const env = { FLEET_SECRETS_FILE: join(folder(), 'secrets.env') };
    const previous = process.env.FLEET_SECRETS_FILE;
    process.env.FLEET_SECRETS_FILE = env.FLEET_SECRETS_FILE;
    try {
      const config = loadConfig(ServiceConfig, {});
      expect(config.JWT_SECRET).toBe(devSecrets(env.FLEET_SECRETS_FILE).JWT_SECRET);
      expect([...secretsFromDevFile(config)]).toEqual(['JWT_SECRET']);
      expect(secretProblems(config)).toEqual([]);
      expect(secretProblems(loadConfig(ServiceConfig, { BIND_HOST: '0.0.0.0' }))).toEqual([
        'JWT_SECRET must be set to listen on 0.0.0.0 (beyond loopback); see docs/configuration.md, "Secrets"',
      ]);
      const real = loadConfig(ServiceConfig, { BIND_HOST: '0.0.0.0', JWT_SECRET: 'x'.repeat(32) });
      expect(secretProblems(real)).toEqual([]);
    } finally {
      if (previous === undefined) delete process.env.FLEET_SECRETS_FILE;
      else process.env.FLEET_SECRETS_FILE = previous;
    }
  });

  it('are never taken in production, nor shown when invalid', () => {
    expect(() => loadConfig(ServiceConfig, { PRODUCTION: 'true' })).toThrow(
      'JWT_SECRET must be set in production',
    );
    expect(() => loadConfig(ServiceConfig, { JWT_SECRET: 'short-secret' })).toThrow(
      /JWT_SECRET \(not shown\): JWT_SECRET must be longer/,
    );
  });

  it('know the values the repository once published', () => {
    expect(isPublishedDefault('fleet-development-secret-do-not-use-in-production')).toBe(true);
    expect(isPublishedDefault('fleet-service-development-password')).toBe(true);
    expect(isPublishedDefault('operator-password')).toBe(true);
    expect(isPublishedDefault('something else')).toBe(false);
  });

  it.each([
    ['127.0.0.1', true],
    ['127.1.2.3', true],
    ['::1', true],
    ['[::1]', true],
    ['localhost', true],
    ['0.0.0.0', false],
    ['::', false],
    ['10.0.0.5', false],
    ['fleet.example', false],
  ])('%s is loopback: %s', (host, loopback) => {
    expect(isLoopback(host)).toBe(loopback);
  });
});
