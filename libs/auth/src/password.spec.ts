import { hashPassword, verifyPassword } from './password';

describe('passwords (scrypt)', () => {
  it('verifies the password it hashed and refuses another', async () => {
    const stored = await hashPassword('correct horse', 10);
    expect(await verifyPassword('correct horse', stored)).toBe(true);
    expect(await verifyPassword('correct hors', stored)).toBe(false);
  });

  it('salts: the same password hashes differently each time', async () => {
    expect(await hashPassword('same password', 10)).not.toBe(await hashPassword('same password', 10));
  });

  it('keeps the cost with the hash, so a changed cost setting still verifies old hashes', async () => {
    const stored = await hashPassword('pw-12345678', 11);
    expect(stored.split('$').slice(0, 4)).toEqual(['scrypt', '11', '8', '1']);
    expect(await verifyPassword('pw-12345678', stored)).toBe(true);
  });

  it.each(['', 'plain', 'bcrypt$1$2$3$4$5', 'scrypt$x$8$1$AAAA$AAAA', 'scrypt$99$8$1$AAAA$AAAA'])(
    'refuses a malformed stored hash %p without throwing',
    async (stored) => {
      expect(await verifyPassword('anything', stored)).toBe(false);
    },
  );
});
