import { newRecoveryCodes, newTotpSecret, recoveryCodeHash, SecretBox, totpOf, totpStep } from './totp';

describe('TOTP (RFC 6238) and recovery codes', () => {
  const secret = newTotpSecret();
  const at = Date.parse('2026-12-04T12:00:10Z');

  it('accepts the code of now and of the steps either side, and says which step it was', () => {
    const totp = totpOf(secret);
    const step = Math.floor(at / 30_000);
    expect(totpStep(secret, totp.generate({ timestamp: at }), at)).toBe(step);
    expect(totpStep(secret, totp.generate({ timestamp: at - 30_000 }), at)).toBe(step - 1);
    expect(totpStep(secret, totp.generate({ timestamp: at + 30_000 }), at)).toBe(step + 1);
  });

  it('refuses a code two steps away, of another secret, or not six digits', () => {
    const totp = totpOf(secret);
    expect(totpStep(secret, totp.generate({ timestamp: at - 60_000 }), at)).toBeNull();
    expect(totpStep(secret, totpOf(newTotpSecret()).generate({ timestamp: at }), at)).toBeNull();
    expect(totpStep(secret, 'abcdef', at)).toBeNull();
  });

  it('makes ten distinct recovery codes; their hash ignores case and dashes', () => {
    const codes = newRecoveryCodes();
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) expect(code).toMatch(/^[A-Z2-9]{5}-[A-Z2-9]{5}$/);
    expect(recoveryCodeHash(codes[0].toLowerCase().replace('-', ''))).toEqual(recoveryCodeHash(codes[0]));
  });

  it('seals secrets so that only the same key opens them, and a damaged one opens to null', () => {
    const box = new SecretBox('a-secret-of-at-least-thirty-two-characters');
    const sealed = box.seal(secret);
    expect(sealed).not.toContain(secret);
    expect(box.open(sealed)).toBe(secret);
    expect(new SecretBox('another-secret-of-at-least-thirty-two-chars').open(sealed)).toBeNull();
    expect(box.open(sealed.slice(0, -2) + 'xx')).toBeNull();
    expect(box.open('garbage')).toBeNull();
  });
});
