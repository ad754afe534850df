import { ApiError } from '../common/api-error';
import { BookingConfig } from '../config/booking.config';
import { backoffS, LoginBackoff, LoginPolicy, lockoutRule } from './login-backoff';
import { MemoryCounterStore } from './memory-counter-store';

const DEFAULTS: LoginPolicy = { freeFailures: 5, failureWindowS: 900, maxBackoffS: 900 };

describe('backoffS', () => {
  it('locks nothing for the free failures', () => {
    for (let n = 0; n <= 5; n++) expect(backoffS(n, DEFAULTS)).toBe(0);
  });

  it('doubles from one second for each failure beyond them, up to the cap', () => {
    const locks = [6, 7, 8, 9, 10, 14, 15, 16, 100, 5000].map((n) => backoffS(n, DEFAULTS));
    expect(locks).toEqual([1, 2, 4, 8, 16, 256, 512, 900, 900, 900]);
  });

  it('starts at the first failure with no free ones, and keeps a low cap', () => {
    expect([1, 2, 3, 4].map((n) => backoffS(n, { ...DEFAULTS, freeFailures: 0, maxBackoffS: 3 }))).toEqual([
      1, 2, 3, 3,
    ]);
  });
});

describe('lockoutRule', () => {
  it('lists every lock up to the first at the cap, in ms', () => {
    expect(lockoutRule(DEFAULTS)).toEqual({
      windowMs: 900_000,
      free: 5,
      lockMs: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900].map((s) => s * 1000),
    });
    expect(lockoutRule({ freeFailures: 0, failureWindowS: 60, maxBackoffS: 1 }).lockMs).toEqual([1000]);
  });
});

describe('LoginBackoff', () => {
  const clock = { ms: 0 };
  let backoff: LoginBackoff;

  beforeEach(() => {
    clock.ms = 1_000_000;
    const config = Object.assign(new BookingConfig(), { LOGIN_FREE_FAILURES: 2 });
    backoff = new LoginBackoff(new MemoryCounterStore(() => clock.ms), config);
  });

  /** One failed login as the auth service makes it: undefined when let through, else the refusal. */
  async function fail(email: string): Promise<ApiError | undefined> {
    try {
      await backoff.assertAllowed(email);
    } catch (err) {
      return err as ApiError;
    }
    return undefined;
  }

  it('refuses an account past its free failures 429 TOO_MANY_REQUESTS, with the seconds to wait', async () => {
    expect(await fail('a@example.com')).toBeUndefined();
    expect(await fail('a@example.com')).toBeUndefined();
    expect(await fail('a@example.com')).toBeUndefined(); // the first beyond: locks 1 s
    const refused = await fail('a@example.com');
    expect(refused).toBeInstanceOf(ApiError);
    expect(refused?.getStatus()).toBe(429);
    expect(refused?.code).toBe('TOO_MANY_REQUESTS');
    expect(refused?.retryAfterS).toBe(1);
    clock.ms += 1000;
    expect(await fail('a@example.com')).toBeUndefined(); // locks 2 s
    expect((await fail('a@example.com'))?.retryAfterS).toBe(2);
  });

  it('counts an account whatever the case of its email, and accounts apart', async () => {
    for (const email of ['A@example.com', 'a@EXAMPLE.com', 'a@example.com']) await fail(email);
    expect(await fail('A@Example.com')).toBeInstanceOf(ApiError);
    expect(await fail('b@example.com')).toBeUndefined();
  });

  it('refuses the right password too while the account is locked', async () => {
    for (let i = 0; i < 3; i++) await fail('a@example.com');
    await expect(backoff.assertAllowed('a@example.com')).rejects.toMatchObject({ code: 'TOO_MANY_REQUESTS' });
  });

  it('starts an account afresh after a success', async () => {
    await fail('a@example.com');
    await fail('a@example.com');
    await backoff.assertAllowed('a@example.com');
    await backoff.recordSuccess('a@example.com');
    expect(await fail('a@example.com')).toBeUndefined();
    expect(await fail('a@example.com')).toBeUndefined();
    expect(await fail('a@example.com')).toBeUndefined();
    expect(await fail('a@example.com')).toBeInstanceOf(ApiError);
  });

  it('judges guesses sent at once as if they came one by one', async () => {
    const outcomes = await Promise.all(Array.from({ length: 20 }, () => fail('a@example.com')));
    expect(outcomes.filter((o) => o === undefined)).toHaveLength(3); // 2 free + the one that locks
  });
});
