import { createHash, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * A vehicle's MQTT password is a random 192-bit secret, shown once at registration. It is stored in
 * Mosquitto's own password-file format (`$7$<iterations>$<salt>$<hash>`, PBKDF2-SHA512, as
 * `mosquitto_passwd` writes it), so the same stored value serves the embedded broker and a password
 * file generated for Mosquitto. A random secret needs no slow hash: the iterations only match
 * Mosquitto's default.
 */
const ITERATIONS = 101;
const SALT_BYTES = 12;
const KEY_BYTES = 64;

/** A fresh vehicle password: 32 URL-safe characters. */
export function newMqttPassword(): string {
  return randomBytes(24).toString('base64url');
}

/**
 * The stored form of an MQTT password (Mosquitto `$7$`), with a random salt, or a given one where
 * the same password must always give the same line (the services' account in generated files).
 */
export function hashMqttPassword(
  password: string,
  iterations = ITERATIONS,
  salt: Buffer = randomBytes(SALT_BYTES),
): string {
  const key = pbkdf2Sync(password, salt, iterations, KEY_BYTES, 'sha512');
  return `$7$${iterations}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** Whether `password` matches a stored `$7$` hash; false for anything malformed. */
export function verifyMqttPassword(password: string, stored: string): boolean {
  const [empty, kind, iterations, salt, hash] = stored.split('$');
  const n = Number(iterations);
  if (empty !== '' || kind !== '7' || !Number.isInteger(n) || n < 1 || n > 1_000_000 || !salt || !hash)
    return false;
  const expected = Buffer.from(hash, 'base64');
  if (expected.length === 0) return false;
  const actual = pbkdf2Sync(password, Buffer.from(salt, 'base64'), n, expected.length, 'sha512');
  return timingSafeEqual(actual, expected);
}

/**
 * A hash of the services' password that is the same in every process (salt derived from the
 * account), so gateways writing the Mosquitto files side by side write identical lines.
 */
export function stableMqttPasswordHash(username: string, password: string): string {
  const salt = createHash('sha256').update(`${username}\0${password}`).digest().subarray(0, SALT_BYTES);
  return hashMqttPassword(password, ITERATIONS, salt);
}
