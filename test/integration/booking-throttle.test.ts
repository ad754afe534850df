import { createTestDatabase, freePort, ServiceProcess, startService, TestDatabase } from '@fleet/testing';
import { BookingApi } from './booking-api';

/**
 * The booking service's rate limits (@nestjs/throttler), per client address, route and minute: auth
 * (register, login) at THROTTLE_AUTH_PER_MIN, booking writes (reservations, trips) at
 * THROTTLE_WRITES_PER_MIN; reads are not limited.
 */
describe('booking: rate limits on auth and booking writes', () => {
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
    });
    client = new BookingApi(booking.baseUrl);
    token = await client.driver('limited'); // a register, and the first of 3 logins
  }, 60_000);

  afterAll(async () => {
    await booking?.kill('SIGTERM');
    await db?.drop();
  });

  /** A raw request, for the headers. */
  const post = (path: string, body: unknown, bearer?: string) =>
    fetch(`${booking.baseUrl}/api/v1${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
      },
      body: JSON.stringify(body),
    });

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
    expect(limited.status).toBe(429);
    expect(await limited.json()).toMatchObject({ statusCode: 429, code: 'TOO_MANY_REQUESTS' });
    const retryAfterS = Number(limited.headers.get('retry-after-auth'));
    expect(retryAfterS).toBeGreaterThan(0);
    expect(retryAfterS).toBeLessThanOrEqual(60);

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
    expect(limited.status).toBe(429);
    expect(await limited.json()).toMatchObject({ statusCode: 429, code: 'TOO_MANY_REQUESTS' });
    // Nothing was written for the refused request.
    const { rows } = await db.client.query(`SELECT count(*)::int AS n FROM reservations`);
    expect(rows[0].n).toBe(0);
  });
});
