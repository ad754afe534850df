import {
  createTestDatabase,
  freePort,
  ServiceProcess,
  startService,
  startTcpProxy,
  TcpProxy,
  TestDatabase,
  waitFor,
} from '@fleet/testing';
import { request } from 'node:http';
import { BookingApi } from './booking-api';
import { TEST_REDIS_KEY_PREFIX, TEST_REDIS_URL } from './platform';

/**
 * The booking service's rate limits, counted in Redis (shared by its processes and instances): per
 * client address, route and minute, auth (register, login) at THROTTLE_AUTH_PER_MIN, booking writes
 * (reservations, trips) at THROTTLE_WRITES_PER_MIN and nearby searches at THROTTLE_NEARBY_PER_MIN
 * (reads otherwise are not limited); per account, failed logins with exponential backoff. The client
 * address comes from X-Forwarded-For only as far as TRUST_PROXY says.
 */

/** A raw request, for the headers: from `from` (an X-Forwarded-For the service may believe). */
async function send(
  baseUrl: string,
  path: string,
  init: { body?: unknown; bearer?: string; from?: string; origin?: string } = {},
) {
  const res = await fetch(`${baseUrl}/api/v1${path}`, {
    method: init.body === undefined ? 'GET' : 'POST',
    headers: {
      ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(init.bearer ? { authorization: `Bearer ${init.bearer}` } : {}),
      ...(init.from ? { 'x-forwarded-for': init.from } : {}),
      ...(init.origin ? { origin: init.origin } : {}),
    },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    body: (text ? JSON.parse(text) : {}) as Record<string, unknown>,
  };
}

/** What every 429 must carry: the error shape and a standard Retry-After, in whole seconds. */
function expectRefused(res: Awaited<ReturnType<typeof send>>, maxRetryAfterS: number): void {
  expect(res.status).toBe(429);
  expect(res.body).toMatchObject({ statusCode: 429, code: 'TOO_MANY_REQUESTS', message: expect.any(String) });
  const retryAfter = res.headers.get('retry-after') ?? '';
  expect(retryAfter).toMatch(/^\d+$/);
  expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
  expect(Number(retryAfter)).toBeLessThanOrEqual(maxRetryAfterS);
}

describe('booking: rate limits on auth, booking writes and nearby searches', () => {
  let db: TestDatabase;
  let booking: ServiceProcess;
  let client: BookingApi;
  let token: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    booking = await startService('booking', await freePort(), {
      DATABASE_URL: db.url,
      PASSWORD_ARGON2_MEMORY_KIB: '1024',
      PASSWORD_ARGON2_TIME_COST: '1',
      THROTTLE_AUTH_PER_MIN: '3',
      THROTTLE_WRITES_PER_MIN: '3',
      BOOKING_WORKERS: '1',
      THROTTLE_NEARBY_PER_MIN: '5',
      LOGIN_FREE_FAILURES: '5',
      // The test client is the proxy: it says whom it forwards for. Requests without the header count
      // as 127.0.0.1.
      TRUST_PROXY: 'loopback',
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: `${TEST_REDIS_KEY_PREFIX}main:`,
    });
    client = new BookingApi(booking.baseUrl);
    token = await client.driver('limited'); // a register, and the first of 3 logins
  }, 60_000);

  afterAll(async () => {
    await booking?.kill('SIGTERM');
    await db?.drop();
  });

  const post = (path: string, body: unknown, bearer?: string) =>
    send(booking.baseUrl, path, { body, bearer });

  it('answers auth requests beyond the limit 429 in the API error shape, with when to retry', async () => {
    for (let i = 0; i < 2; i++) {
      const wrong = await post('/auth/login', {
        email: 'driver-limited@example.com',
        password: 'wrong-password',
      });
      expect(wrong.status).toBe(401); // refused, and counted
    }

    const limited = await post('/auth/login', {
      email: 'driver-limited@example.com',
      password: 'password-123',
    });
    expectRefused(limited, 60);
    // The throttler's own header stays, for clients that read it.
    expect(Number(limited.headers.get('retry-after-auth'))).toBeGreaterThan(0);

    // Reads and an already issued token go on working.
    expect((await fetch(`${booking.baseUrl}/api/v1/zones`)).status).toBe(200);
    expect((await client.call('/reservations/00000000-0000-4000-8000-000000000000', { token })).status).toBe(
      404,
    );
  });

  it('limits booking writes the same way, counted apart from auth, and writes nothing for a refused one', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await post('/reservations', { vehicleId: 'NO-SUCH-CAR' }, token);
      expect(res.status).toBe(404);
    }
    const limited = await post('/reservations', { vehicleId: 'NO-SUCH-CAR' }, token);
    expectRefused(limited, 60);
    // Nothing was written for the refused request.
    const { rows } = await db.client.query(`SELECT count(*)::int AS n FROM reservations`);
    expect(rows[0].n).toBe(0);
  });

  it('25 wrong logins for one email from 25 forwarded addresses give 429 while another account still logs in', async () => {
    const register = (email: string, from: string) =>
      send(booking.baseUrl, '/auth/register', { body: { email, password: 'password-123', name: 'X' }, from });
    expect((await register('victim@example.com', '198.51.100.1')).status).toBe(201);
    expect((await register('bystander@example.com', '198.51.100.2')).status).toBe(201);

    const answers = [];
    for (let i = 1; i <= 25; i++) {
      answers.push(
        await send(booking.baseUrl, '/auth/login', {
          body: { email: 'Victim@example.com', password: `guess-${i}` },
          from: `203.0.113.${i}`, // one request per address: the per-address limit (3) lets each through
        }),
      );
    }
    // The 5 free failures and the one that locks; then refused while locked, one more let through
    // whenever a lock has run out (1 s, then 2 s, ...).
    expect(answers.slice(0, 6).map((a) => a.status)).toEqual([401, 401, 401, 401, 401, 401]);
    const refused = answers.filter((a) => a.status === 429);
    expect(refused.length).toBeGreaterThanOrEqual(15);
    for (const answer of refused) expectRefused(answer, 900);
    expect(answers.every((a) => a.status === 401 || a.status === 429)).toBe(true);

    // The right password is refused too while the account is in backoff.
    const right = await send(booking.baseUrl, '/auth/login', {
      body: { email: 'victim@example.com', password: 'password-123' },
      from: '203.0.113.26',
    });
    expectRefused(right, 900);
    expect(right.body.accessToken).toBeUndefined();

    // Another account logs in.
    const other = await send(booking.baseUrl, '/auth/login', {
      body: { email: 'bystander@example.com', password: 'password-123' },
      from: '203.0.113.27',
    });
    expect(other.status).toBe(200);
    expect(other.body.accessToken).toEqual(expect.any(String));
  });

  it('judges wrong logins sent all at once as if they came one by one', async () => {
    const answers = await Promise.all(
      Array.from({ length: 25 }, (_, i) =>
        send(booking.baseUrl, '/auth/login', {
          body: { email: 'nobody-at-all@example.com', password: `guess-${i}` },
          from: `203.0.114.${i + 1}`,
        }),
      ),
    );
    // 5 free and the one that locks, whichever they were; every other one refused before the check.
    expect(answers.filter((a) => a.status === 401)).toHaveLength(6);
    expect(answers.filter((a) => a.status === 429)).toHaveLength(19);
  });

  it('answers nearby searches past THROTTLE_NEARBY_PER_MIN for one address 429 while another address gets 200', async () => {
    const search = '/vehicles/nearby?lat=52.52&lon=13.405&radius=1000&limit=5';
    const origin = 'https://app.example.com';
    for (let i = 0; i < 5; i++) {
      const res = await send(booking.baseUrl, search, { from: '192.0.2.10', origin });
      expect(res.status).toBe(200);
    }
    const refused = await send(booking.baseUrl, search, { from: '192.0.2.10', origin });
    expectRefused(refused, 60);
    expect(refused.headers.get('access-control-allow-origin')).toBe(origin); // as on its other answers
    expect(refused.headers.get('content-type')).toMatch(/^application\/json/);

    // A search the fast path leaves to Express (radius 1000.0) counts against the same limit.
    const slow = '/vehicles/nearby?lat=52.52&lon=13.405&radius=1000.0';
    expectRefused(await send(booking.baseUrl, slow, { from: '192.0.2.10' }), 60);

    expect((await send(booking.baseUrl, search, { from: '192.0.2.11', origin })).status).toBe(200);
    expect((await send(booking.baseUrl, slow, { from: '192.0.2.12' })).status).toBe(200);
  });
});

/** A POST on a connection of its own (node:cluster hands each new connection to the next worker). */
function postOnNewConnection(url: string, body: unknown, headers: Record<string, string> = {}) {
  return new Promise<number>((resolve, reject) => {
    const payload = JSON.stringify(body);
    const req = request(
      url,
      {
        method: 'POST',
        agent: false,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(payload),
          ...headers,
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

describe('booking: limits hold across BOOKING_WORKERS=2', () => {
  let db: TestDatabase;
  let booking: ServiceProcess;

  beforeAll(async () => {
    db = await createTestDatabase();
    booking = await startService(
      'booking',
      await freePort(),
      {
        DATABASE_URL: db.url,
        PASSWORD_ARGON2_MEMORY_KIB: '1024',
        PASSWORD_ARGON2_TIME_COST: '1',
        BOOKING_WORKERS: '2',
        THROTTLE_AUTH_PER_MIN: '10',
        // TRUST_PROXY stays unset: X-Forwarded-For is not believed.
        LOG_LEVEL: 'debug', // each refusal is a debug line, with the pid of the worker that refused it
        NO_COLOR: '1',
        REDIS_URL: TEST_REDIS_URL,
        REDIS_KEY_PREFIX: `${TEST_REDIS_KEY_PREFIX}workers:`,
      },
      60_000,
    );
    // The service answers once one worker listens; the other may still be starting, and until it
    // listens every connection goes to the first.
    await waitFor(
      () => (booking.output().match(/worker \d+ listening on port/g)?.length ?? 0) >= 2 || undefined,
      30_000,
      'both workers listening',
    );
  }, 90_000);

  afterAll(async () => {
    await booking?.kill('SIGTERM');
    await db?.drop();
  });

  it('lets exactly THROTTLE_AUTH_PER_MIN of 30 requests from one address through, whichever worker serves them', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++) {
      statuses.push(
        await postOnNewConnection(
          `${booking.baseUrl}/api/v1/auth/login`,
          { email: `someone-${i}@example.com`, password: 'wrong-password' },
          { 'x-forwarded-for': `198.51.100.${i}` }, // not believed: the address stays 127.0.0.1
        ),
      );
    }
    // Each worker counting alone would have let 20 through.
    expect(statuses.filter((s) => s === 401)).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(20);

    // Both workers refused some, so both served requests and counted in the same store.
    const refusedBy = await waitFor(
      () => {
        const pids = new Set(
          [...booking.output().matchAll(/\[Nest\] (\d+) .*\[RateLimitGuard\] refused/g)].map((m) => m[1]),
        );
        return pids.size >= 2 ? pids : undefined;
      },
      5000,
      'refusals from both workers',
    );
    expect(refusedBy.size).toBe(2);
  });
});

describe('booking: when Redis stops answering', () => {
  let db: TestDatabase;
  let redis: TcpProxy;
  let booking: ServiceProcess;

  beforeAll(async () => {
    db = await createTestDatabase();
    const target = new URL(TEST_REDIS_URL);
    redis = await startTcpProxy(target.hostname, Number(target.port || 6379));
    booking = await startService('booking', await freePort(), {
      DATABASE_URL: db.url,
      PASSWORD_ARGON2_MEMORY_KIB: '1024',
      PASSWORD_ARGON2_TIME_COST: '1',
      BOOKING_WORKERS: '1',
      THROTTLE_AUTH_PER_MIN: '3',
      LOG_LEVEL: 'log',
      REDIS_URL: redis.via(TEST_REDIS_URL),
      REDIS_KEY_PREFIX: `${TEST_REDIS_KEY_PREFIX}outage:`,
    });
  }, 60_000);

  afterAll(async () => {
    await booking?.kill('SIGTERM');
    await redis?.close();
    await db?.drop();
  });

  const login = (i: number) =>
    send(booking.baseUrl, '/auth/login', {
      body: { email: `u${i}@example.com`, password: 'wrong-password' },
    });

  it('lets requests through unlimited, says so once, and limits again once Redis is back', async () => {
    redis.cut();
    for (let i = 0; i < 8; i++) {
      const started = Date.now();
      expect((await login(i)).status).toBe(401); // not 429 (limit 3), not 500
      expect(Date.now() - started).toBeLessThan(2000);
    }
    const warnings = booking.output().match(/Redis does not answer/g) ?? [];
    expect(warnings).toHaveLength(1);

    redis.restore();
    await waitFor(() => booking.output().includes('Redis answers again'), 15_000, 'the reconnection');
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await login(100 + i)).status);
    expect(statuses).toEqual([401, 401, 401, 429]);
  });
});
