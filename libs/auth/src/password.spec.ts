import { randomBytes, scryptSync } from 'node:crypto';
import { hashPassword, needsRehash, PasswordCost, verifyPassword } from './password';

const CHEAP: PasswordCost = { memoryKiB: 1024, timeCost: 1 };

describe('passwords (Argon2id, and the scrypt hashes stored before it)', () => {
  it('verifies the password it hashed and refuses another', async () => {
    const stored = await hashPassword('correct horse', CHEAP);
    expect(stored).toMatch(/^\$argon2id\$v=19\$m=1024,p=1,t=1\$/);
    expect(await verifyPassword('correct horse', stored)).toBe(true);
    expect(await verifyPassword('correct hors', stored)).toBe(false);
  });

  it('salts: the same password hashes differently each time', async () => {
    expect(await hashPassword('same password', CHEAP)).not.toBe(await hashPassword('same password', CHEAP));
  });

  it("hashes at OWASP's Argon2id parameters by default (19 MiB, 2 iterations, 1 lane)", async () => {
    expect(await hashPassword('pw-12345678')).toMatch(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
  });

  it('still verifies a scrypt hash of before, and asks for it to be stored anew', async () => {
    const salt = randomBytes(16);
    const key = scryptSync('old password', salt, 32, { N: 2 ** 10, r: 8, p: 1 });
    const legacy = ['scrypt', 10, 8, 1, salt.toString('base64'), key.toString('base64')].join('$');
    expect(await verifyPassword('old password', legacy)).toBe(true);
    expect(await verifyPassword('old passwort', legacy)).toBe(false);
    expect(needsRehash(legacy, CHEAP)).toBe(true);
  });

  it('asks for a rehash when the cost setting changed, not when it is the same', async () => {
    const stored = await hashPassword('pw-12345678', CHEAP);
    expect(needsRehash(stored, CHEAP)).toBe(false);
    expect(needsRehash(stored, { memoryKiB: 2048, timeCost: 1 })).toBe(true);
  });

  it.each([
    null,
    '',
    'plain',
    'bcrypt$1$2$3$4$5',
    'scrypt$x$8$1$AAAA$AAAA',
    'scrypt$99$8$1$AAAA$AAAA',
    '$argon2id$garbage',
  ])('refuses a missing or malformed stored hash %p without throwing', async (stored) => {
    expect(await verifyPassword('anything', stored)).toBe(false);
  });
});
