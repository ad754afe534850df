import * as argon2 from 'argon2';
import { scrypt, ScryptOptions, timingSafeEqual } from 'node:crypto';

/**
 * Argon2id cost (OWASP Password Storage Cheat Sheet: at least 19 MiB of memory, 2 iterations, one
 * lane). The cost travels with each hash, so a changed setting still verifies older hashes, and
 * `needsRehash` tells the login to store the password again at the new cost.
 */
export interface PasswordCost {
  memoryKiB: number;
  timeCost: number;
}

export const OWASP_ARGON2ID: PasswordCost = { memoryKiB: 19_456, timeCost: 2 };

/** A password as stored: Argon2id's PHC string (`$argon2id$v=19$m=..,t=..,p=1$salt$hash`). */
export function hashPassword(password: string, cost: PasswordCost = OWASP_ARGON2ID): Promise<string> {
  return argon2.hash(password, {
    type: argon2.argon2id,
    memoryCost: cost.memoryKiB,
    timeCost: cost.timeCost,
    parallelism: 1,
  });
}

/**
 * True when `password` matches `stored`; false for a wrong password, a missing password (an invited
 * member who has not set one) or a malformed hash. Reads Argon2id and the scrypt hashes written
 * before it (`scrypt$<logN>$<r>$<p>$<salt>$<key>`).
 */
export async function verifyPassword(password: string, stored: string | null): Promise<boolean> {
  if (!stored) return false;
  if (stored.startsWith('scrypt$')) return verifyScrypt(password, stored);
  try {
    return await argon2.verify(stored, password);
  } catch {
    return false;
  }
}

/** Whether `stored` was hashed another way or at another cost than `cost` (then store it anew). */
export function needsRehash(stored: string, cost: PasswordCost = OWASP_ARGON2ID): boolean {
  if (!stored.startsWith('$argon2id$')) return true;
  try {
    return argon2.needsRehash(stored, {
      memoryCost: cost.memoryKiB,
      timeCost: cost.timeCost,
      parallelism: 1,
    });
  } catch {
    return true;
  }
}

function derive(password: string, salt: Buffer, keyBytes: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password, salt, keyBytes, { ...options, maxmem: 256 * 1024 * 1024 }, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

async function verifyScrypt(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6) return false;
  const [logN, r, p] = parts.slice(1, 4).map(Number);
  if (![logN, r, p].every(Number.isInteger) || logN < 1 || logN > 22) return false;
  const expected = Buffer.from(parts[5], 'base64');
  if (expected.length === 0) return false;
  const key = await derive(password, Buffer.from(parts[4], 'base64'), expected.length, {
    N: 2 ** logN,
    r,
    p,
  });
  return timingSafeEqual(key, expected);
}
