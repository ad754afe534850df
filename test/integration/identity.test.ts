import { SimulatedCar } from '@fleet/simulator';
import {
  createTestDatabase,
  freePort,
  MailServer,
  MosquittoInstance,
  ServiceProcess,
  startMailServer,
  startMosquitto,
  startService,
  TestDatabase,
  waitFor,
} from '@fleet/testing';
import { execFile } from 'node:child_process';
import { Secret, TOTP } from 'otpauth';
import { io, Socket } from 'socket.io-client';
import { BERLIN_CENTRE, BookingApi } from './booking-api';
import { startBooking, startGateway, TEST_OPERATOR } from './platform';

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

interface Pair {
  accessToken: string;
  refreshToken: string;
}

/** The current code of an authenticator app holding `secret`, `offsetSteps` 30 s steps away. */
const codeOf = (secret: string, offsetSteps = 0) =>
  new TOTP({ secret: Secret.fromBase32(secret), digits: 6, period: 30, algorithm: 'SHA1' }).generate({
    timestamp: Date.now() + offsetSteps * 30_000,
  });

/**
 * Identity and access end to end (CONTRACT.md 5): the gateway, booking and live-map services as
 * processes on real PostgreSQL/PostGIS and Mosquitto, mail through a real SMTP server (maildev) and
 * read back from it, TOTP codes made as an authenticator app makes them. MFA is enforced, as in
 * production: the test admin enrols first.
 */
describe('identity and access: sessions, staff, MFA, audit, the account (booking, live map, SMTP)', () => {
  let db: TestDatabase;
  let broker: MosquittoInstance;
  let mail: MailServer;
  let gateway: ServiceProcess;
  let booking: ServiceProcess;
  /** A second booking instance, which hears of nothing but what the database says. */
  let otherBooking: ServiceProcess;
  let liveMap: ServiceProcess;
  let client: BookingApi;
  let admin: string;
  let adminTotpSecret: string;
  let car: SimulatedCar;
  const sockets: Socket[] = [];

  const call = async (path: string, init: { method?: string; body?: unknown; token?: string } = {}) =>
    (await client.call(path, init)) as unknown as Answer;
  const post = (path: string, body?: unknown, token?: string) => call(path, { method: 'POST', body, token });
  const login = async (email: string, password: string, totp?: string): Promise<Answer> =>
    post('/auth/login', { email, password, ...(totp ? { totp } : {}) });
  const pairOf = (answer: Answer): Pair => {
    expect(answer.status).toBe(200);
    return answer.body as unknown as Pair;
  };

  /** Invites a member as the admin, sets their password through the mailed link, logs them in. */
  async function member(email: string, role: string, password = 'member-password-1') {
    const invited = await post('/staff', { email, name: `Member ${role}`, role }, admin);
    expect(invited.status).toBe(201);
    const letter = await mail.waitForMail(email, /set-password=/);
    const link = /set-password=([A-Za-z0-9_-]+)/.exec(letter.text)![1];
    expect((await post('/auth/password', { token: link, password })).status).toBe(200);
    return { id: invited.body.id as string, link, pair: pairOf(await login(email, password)) };
  }

  function liveSocket(token: string): Promise<Socket> {
    const socket = io(`${liveMap.baseUrl}/live`, {
      auth: { token },
      transports: ['websocket'],
      reconnection: false,
    });
    sockets.push(socket);
    return new Promise((resolve, reject) => {
      socket.once('connect', () => resolve(socket));
      socket.once('connect_error', reject);
    });
  }

  const runCli = (...args: string[]) =>
    new Promise<{ code: number; output: string }>((resolve) => {
      execFile(
        'npm',
        ['run', '--silent', 'staff', '--', ...args],
        { env: { ...process.env, DATABASE_URL: db.url, SMTP_URL: mail.smtpUrl, LOG_LEVEL: 'warn' } },
        (err, stdout, stderr) => resolve({ code: err ? Number(err.code) : 0, output: stdout + stderr }),
      );
    });

  beforeAll(async () => {
    db = await createTestDatabase();
    broker = await startMosquitto();
    mail = await startMailServer();
    const infra = { DATABASE_URL: db.url, MQTT_URL: broker.url };
    gateway = await startGateway(infra);
    booking = await startBooking(infra, {
      SMTP_URL: mail.smtpUrl,
      MFA_ENFORCED: 'true',
      VEHICLE_COMMAND_TIMEOUT_S: '5',
    });
    otherBooking = await startBooking(infra, { MFA_ENFORCED: 'true' });
    liveMap = await startService('live-map', await freePort(), {
      ...infra,
      LIVE_MAP_SESSION_SWEEP_MS: '2000',
    });
    client = new BookingApi(booking.baseUrl);

    // The admin enrols TOTP before anything else (MFA_ENFORCED), then logs in with a code.
    const first = pairOf(await login(TEST_OPERATOR.email, TEST_OPERATOR.password));
    const blocked = await call('/vehicles', { token: first.accessToken });
    expect(blocked.body).toMatchObject({ statusCode: 403, code: 'MFA_ENROLMENT_REQUIRED' });
    const enrolment = await post('/me/mfa/totp', undefined, first.accessToken);
    expect(enrolment.status).toBe(201);
    adminTotpSecret = enrolment.body.secret as string;
    expect(enrolment.body.otpauthUri).toMatch(/^otpauth:\/\/totp\/.*secret=/);
    const confirmed = await post('/me/mfa/totp/verify', { code: codeOf(adminTotpSecret) }, first.accessToken);
    expect(confirmed.status).toBe(200);
    // The code that confirmed enrolment is spent: the login takes the next step's.
    admin = pairOf(
      await login(TEST_OPERATOR.email, TEST_OPERATOR.password, codeOf(adminTotpSecret, 1)),
    ).accessToken;

    const zone = await post(
      '/zones',
      { name: 'Berlin', kind: 'business_area', geometry: BERLIN_CENTRE },
      admin,
    );
    expect(zone.status).toBe(201);
    const reg = await post(
      '/vehicles',
      { id: 'ID-CAR', plate: 'B-ID 1', model: 'VW ID.3', propulsion: 'electric' },
      admin,
    );
    expect(reg.status).toBe(201);
    const { username, password } = reg.body.mqtt as { username: string; password: string };
    car = new SimulatedCar({
      url: broker.url,
      vehicleId: 'ID-CAR',
      username,
      password,
      lat: 52.5219,
      lon: 13.4132,
    });
    await car.connect();
    await car.publishSample();
    await waitFor(
      async () => (await call('/vehicles/ID-CAR', { token: admin })).body.state === 'available',
      15_000,
      'the car available',
    );
  }, 120_000);

  afterAll(async () => {
    for (const s of sockets) s.disconnect();
    await car?.disconnect().catch(() => undefined);
    await Promise.all([liveMap, otherBooking, booking, gateway].map((s) => s?.kill('SIGTERM')));
    await mail?.stop();
    await broker?.stop();
    await db?.drop();
  }, 30_000);

  describe('sessions', () => {
    it('rotates refresh tokens: the new pair works, the old refresh token no longer does', async () => {
      const driver = await client.driver('rotate');
      expect(driver).toBeTruthy();
      const first = pairOf(await login('driver-rotate@example.com', 'password-123'));
      const second = pairOf(await post('/auth/refresh', { refreshToken: first.refreshToken }));
      expect(second.refreshToken).not.toBe(first.refreshToken);
      expect((await call('/me', { token: second.accessToken })).status).toBe(200);
      const third = pairOf(await post('/auth/refresh', { refreshToken: second.refreshToken }));
      expect((await call('/me', { token: third.accessToken })).status).toBe(200);
    });

    it('ends the whole session when a used refresh token comes back (a copy was stolen)', async () => {
      await client.driver('reuse');
      const first = pairOf(await login('driver-reuse@example.com', 'password-123'));
      const second = pairOf(await post('/auth/refresh', { refreshToken: first.refreshToken }));
      // The thief presents the old token: refused, and the session ends for the owner too.
      const replay = await post('/auth/refresh', { refreshToken: first.refreshToken });
      expect(replay.body).toMatchObject({ statusCode: 401, code: 'SESSION_REVOKED' });
      expect((await post('/auth/refresh', { refreshToken: second.refreshToken })).body.code).toBe(
        'SESSION_REVOKED',
      );
      expect((await call('/me', { token: second.accessToken })).body).toMatchObject({
        statusCode: 401,
        code: 'SESSION_REVOKED',
      });
      const { rows } = await db.client.query(
        `SELECT end_reason FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.email = 'driver-reuse@example.com'`,
      );
      expect(rows).toContainEqual({ end_reason: 'refresh_reuse' });
      // An unknown refresh token is refused and ends nothing.
      expect((await post('/auth/refresh', { refreshToken: 'rt_unknown' })).body.code).toBe(
        'INVALID_REFRESH_TOKEN',
      );
    });

    it('logs out: the access token and the refresh token stop working at once; other sessions go on', async () => {
      await client.driver('logout');
      const phone = pairOf(await login('driver-logout@example.com', 'password-123'));
      const laptop = pairOf(await login('driver-logout@example.com', 'password-123'));
      const out = await client.call('/auth/logout', { method: 'POST', token: phone.accessToken });
      expect(out.status).toBe(204);
      expect((await call('/me', { token: phone.accessToken })).body.code).toBe('SESSION_REVOKED');
      expect((await post('/auth/refresh', { refreshToken: phone.refreshToken })).body.code).toBe(
        'SESSION_REVOKED',
      );
      expect((await call('/me', { token: laptop.accessToken })).status).toBe(200);
    });
  });

  describe('staff', () => {
    it('invites by mail: the one-time link sets the password once; the member works in their role', async () => {
      const sam = await member('sam@operator.test', 'support');
      const letter = (await mail.messages()).find((m) => m.to.includes('sam@operator.test'))!;
      expect(letter.subject).toMatch(/password/i);
      expect(letter.text).toContain(`http://localhost:3001/#set-password=${sam.link}`);
      expect(
        (await post('/auth/password', { token: sam.link, password: 'another-password' })).body.code,
      ).toBe('INVALID_LINK');
      expect((await login('sam@operator.test', 'another-password')).status).toBe(401);
      const me = await call('/me', { token: sam.pair.accessToken });
      expect(me.body).toMatchObject({ email: 'sam@operator.test', role: 'support' });
      expect((await call('/vehicles', { token: sam.pair.accessToken })).status).toBe(200);
      expect(
        (
          await post(
            '/zones',
            { name: 'x', kind: 'no_parking', geometry: BERLIN_CENTRE },
            sam.pair.accessToken,
          )
        ).status,
      ).toBe(403);
      const list = await call('/staff?limit=500', { token: admin });
      expect(
        (list.body.items as { email: string; status: string }[]).find((m) => m.email === 'sam@operator.test'),
      ).toMatchObject({
        status: 'active',
      });
    });

    it("refuses a demoted member's token within 60 s on booking and on the live map, whose socket is disconnected", async () => {
      const dana = await member('dana@operator.test', 'fleet_manager');
      // MFA is enforced for fleet managers: Dana enrols and logs in with a code first.
      const secret = (await post('/me/mfa/totp', undefined, dana.pair.accessToken)).body.secret as string;
      const verified = await post('/me/mfa/totp/verify', { code: codeOf(secret) }, dana.pair.accessToken);
      const [recoveryCode] = verified.body.recoveryCodes as string[];
      const token = pairOf(
        await login('dana@operator.test', 'member-password-1', codeOf(secret, 1)),
      ).accessToken;
      expect((await call('/vehicles', { token })).status).toBe(200);
      const elsewhere = new BookingApi(otherBooking.baseUrl);
      // The other instance has checked this session now, and reuses that verdict for a while.
      expect((await elsewhere.call('/vehicles', { token })).status).toBe(200);
      const socket = await liveSocket(token);
      const ended = new Promise<{ code: string; at: number }>((resolve) =>
        socket.once('session_ended', ({ code }: { code: string }) => resolve({ code, at: Date.now() })),
      );
      const disconnected = new Promise<number>((resolve) =>
        socket.once('disconnect', () => resolve(Date.now())),
      );

      const demotedAt = Date.now();
      const demote = await call(`/staff/${dana.id}`, {
        method: 'PATCH',
        body: { role: 'service_agent' },
        token: admin,
      });
      expect(demote.body).toMatchObject({ role: 'service_agent' });
      const refused = await waitFor(
        async () => {
          const res = await call('/vehicles', { token });
          return res.status === 401 ? res : undefined;
        },
        60_000,
        'the old token refused',
      );
      expect(refused.body.code).toBe('SESSION_REVOKED');
      expect(Date.now() - demotedAt).toBeLessThan(60_000);
      const refusedElsewhere = await waitFor(
        async () => ((await elsewhere.call('/vehicles', { token })).status === 401 ? Date.now() : undefined),
        60_000,
        'the other instance refusing the old token',
        250,
      );
      expect(refusedElsewhere - demotedAt).toBeLessThan(60_000);
      expect((await ended).code).toBe('SESSION_REVOKED');
      expect((await disconnected) - demotedAt).toBeLessThan(60_000);
      // Logged in again, Dana is a service agent: no zones, no immobilize.
      const again = pairOf(await login('dana@operator.test', 'member-password-1', recoveryCode)).accessToken;
      expect((await call('/me', { token: again })).body.role).toBe('service_agent');
    }, 90_000);

    it('blocks a member: their sessions end and they cannot log in; unblocked, they can', async () => {
      const ben = await member('ben@operator.test', 'service_agent');
      const block = await call(`/staff/${ben.id}`, {
        method: 'PATCH',
        body: { blocked: true, reason: 'left the company' },
        token: admin,
      });
      expect(block.body).toMatchObject({ status: 'blocked', blockedReason: 'left the company' });
      expect((await call('/me', { token: ben.pair.accessToken })).status).toBe(401);
      expect((await login('ben@operator.test', 'member-password-1')).body.code).toBe('ACCOUNT_BLOCKED');
      await call(`/staff/${ben.id}`, { method: 'PATCH', body: { blocked: false }, token: admin });
      expect((await login('ben@operator.test', 'member-password-1')).status).toBe(200);
    });

    it('an admin cannot demote or block themselves (no platform left without an admin by mistake)', async () => {
      const me = await call('/me', { token: admin });
      const self = await call(`/staff/${me.body.id as string}`, {
        method: 'PATCH',
        body: { role: 'support' },
        token: admin,
      });
      expect(self.body).toMatchObject({ statusCode: 409, code: 'OWN_ACCOUNT' });
    });

    it('npm run staff: invites with a printed link (no password on the command line), changes roles, blocks', async () => {
      const bad = await runCli('add', 'not-an-email', 'support');
      expect(bad.code).toBe(2);
      expect(bad.output).toContain('usage:');
      expect((await runCli('add', 'cli@operator.test', 'pilot')).code).toBe(2);

      const added = await runCli('add', 'cli@operator.test', 'support', '--name', 'Cli Member');
      expect(added.code).toBe(0);
      const link = /set-password=([A-Za-z0-9_-]+)/.exec(added.output)?.[1];
      expect(link).toBeDefined();
      expect((await mail.waitForMail('cli@operator.test', /set-password=/)).text).toContain(link);
      expect((await post('/auth/password', { token: link, password: 'cli-password-1' })).status).toBe(200);
      const token = pairOf(await login('cli@operator.test', 'cli-password-1')).accessToken;

      expect((await runCli('role', 'cli@operator.test', 'fleet_manager')).output).toContain('fleet_manager');
      expect((await call('/me', { token })).status).toBe(401);
      expect((await runCli('block', 'cli@operator.test')).code).toBe(2);
      expect((await runCli('block', 'cli@operator.test', '--reason', 'lost laptop')).code).toBe(0);
      expect((await login('cli@operator.test', 'cli-password-1')).body.code).toBe('ACCOUNT_BLOCKED');
      const listed = await runCli('list');
      expect(listed.output).toMatch(/cli@operator\.test\tfleet_manager\tblocked/);
      const audit = await call('/audit?actor=cli%3Aroot&limit=10', { token: admin });
      const actions = (audit.body.items as { action: string }[]).map((e) => e.action);
      expect(actions).toEqual(expect.arrayContaining(['CLI staff add', 'CLI staff role', 'CLI staff block']));
    }, 60_000);
  });

  describe('MFA', () => {
    it('asks for the code; refuses a wrong one and a code used before; a recovery code opens one login', async () => {
      const mia = await member('mia@operator.test', 'admin');
      const enrol = await post('/me/mfa/totp', undefined, mia.pair.accessToken);
      const secret = enrol.body.secret as string;
      expect((await post('/me/mfa/totp/verify', { code: '000000' }, mia.pair.accessToken)).body.code).toBe(
        'INVALID_MFA_CODE',
      );
      const verified = await post('/me/mfa/totp/verify', { code: codeOf(secret) }, mia.pair.accessToken);
      const codes = verified.body.recoveryCodes as string[];
      expect(codes).toHaveLength(10);
      expect((await post('/me/mfa/totp', undefined, mia.pair.accessToken)).body.code).toBe(
        'MFA_ALREADY_ENROLLED',
      );

      expect((await login('mia@operator.test', 'member-password-1')).body).toMatchObject({
        statusCode: 401,
        code: 'MFA_REQUIRED',
      });
      expect((await login('mia@operator.test', 'member-password-1', '123456')).body.code).toBe(
        'INVALID_MFA_CODE',
      );
      const code = codeOf(secret, 1);
      const withCode = pairOf(await login('mia@operator.test', 'member-password-1', code));
      expect((await call('/audit', { token: withCode.accessToken })).status).toBe(200);
      expect((await login('mia@operator.test', 'member-password-1', code)).body.code).toBe(
        'INVALID_MFA_CODE',
      );

      const recovered = pairOf(await login('mia@operator.test', 'member-password-1', codes[0].toLowerCase()));
      expect((await call('/me', { token: recovered.accessToken })).body).toMatchObject({
        mfa: { totpEnrolled: true, recoveryCodesLeft: 9 },
      });
      expect((await login('mia@operator.test', 'member-password-1', codes[0])).body.code).toBe(
        'INVALID_MFA_CODE',
      );
      // A refresh keeps the session's second factor (no MFA_ENROLMENT_REQUIRED).
      const refreshed = pairOf(await post('/auth/refresh', { refreshToken: recovered.refreshToken }));
      expect((await call('/audit', { token: refreshed.accessToken })).status).toBe(200);
      // An admin resets Mia's second factor (a lost phone): her sessions end, she enrols again.
      const reset = await call(`/staff/${mia.id}`, {
        method: 'PATCH',
        body: { resetMfa: true },
        token: admin,
      });
      expect(reset.body).toMatchObject({ totpEnrolled: false });
      expect((await call('/me', { token: refreshed.accessToken })).body.code).toBe('SESSION_REVOKED');
      const again = pairOf(await login('mia@operator.test', 'member-password-1'));
      expect((await call('/audit', { token: again.accessToken })).body.code).toBe('MFA_ENROLMENT_REQUIRED');
      expect((await post('/me/mfa/totp', undefined, again.accessToken)).status).toBe(201);
    });
  });

  describe('audit', () => {
    it('lists an unlock with who sent it, why and from where; an unlock without a reason is refused and sends nothing', async () => {
      const before = car.receivedCommands.length;
      const bare = await post('/vehicles/ID-CAR/commands', { type: 'unlock' }, admin);
      expect(bare.body).toMatchObject({ statusCode: 400, code: 'VALIDATION_FAILED' });
      expect(car.receivedCommands.length).toBe(before);

      const unlock = await post(
        '/vehicles/ID-CAR/commands',
        { type: 'unlock', reason: 'driver locked the keys in' },
        admin,
      );
      expect(unlock.body).toMatchObject({ type: 'unlock', status: 'succeeded' });
      await post('/vehicles/ID-CAR/commands', { type: 'lock' }, admin);

      const audit = await call('/audit?vehicleId=ID-CAR&limit=10', { token: admin });
      expect(audit.status).toBe(200);
      const entries = audit.body.items as Record<string, unknown>[];
      expect(entries.map((e) => [e.action, (e.detail as { type?: string }).type, e.statusCode])).toEqual([
        ['POST /vehicles/:id/commands', 'lock', 201],
        ['POST /vehicles/:id/commands', 'unlock', 201],
        ['POST /vehicles/:id/commands', 'unlock', 400],
        ['POST /vehicles', undefined, 201],
      ]);
      expect(entries[1]).toMatchObject({
        actor: { email: TEST_OPERATOR.email, role: 'admin' },
        vehicleId: 'ID-CAR',
        reason: 'driver locked the keys in',
        ip: expect.stringContaining('127.0.0.1'),
        at: expect.any(String),
      });
      const forOthers = await call('/audit?vehicleId=NOT-A-CAR', { token: admin });
      expect(forOthers.body).toEqual({ items: [], nextCursor: null });
    });

    it('is append-only: the database refuses to change or delete an entry', async () => {
      await expect(db.client.query(`UPDATE audit_log SET reason = 'edited'`)).rejects.toThrow(/append-only/);
      await expect(db.client.query(`DELETE FROM audit_log`)).rejects.toThrow(/append-only/);
      await expect(db.client.query(`TRUNCATE audit_log`)).rejects.toThrow(/append-only/);
    });

    it('pages newest first with a cursor', async () => {
      const first = await call('/audit?limit=2', { token: admin });
      const items = first.body.items as { id: string }[];
      expect(items).toHaveLength(2);
      const next = await call(`/audit?limit=2&cursor=${first.body.nextCursor as string}`, { token: admin });
      const more = next.body.items as { id: string }[];
      expect(Number(more[0].id)).toBeLessThan(Number(items[1].id));
      expect((await call('/audit?cursor=abc', { token: admin })).status).toBe(400);
    });
  });

  describe('the account', () => {
    it('answers a taken address as a new one, and tells its owner by mail instead', async () => {
      const fresh = await post('/auth/register', {
        email: 'owner@example.com',
        password: 'password-123',
        name: 'Owner',
      });
      const taken = await post('/auth/register', {
        email: 'Owner@Example.com',
        password: 'other-pass-1',
        name: 'Mallory',
      });
      expect(taken.status).toBe(fresh.status);
      expect(Object.keys(taken.body).sort()).toEqual(Object.keys(fresh.body).sort());
      expect(taken.body.id).not.toBe(fresh.body.id);
      const notice = await mail.waitForMail('owner@example.com');
      expect(notice.text).toContain('owner@example.com');
      // Nothing changed: the owner's password still works, Mallory's does not.
      expect((await login('owner@example.com', 'password-123')).status).toBe(200);
      expect((await login('owner@example.com', 'other-pass-1')).status).toBe(401);
    });

    it('GET and PATCH /me; a new password needs the current one and ends the other sessions', async () => {
      await client.driver('me');
      const a = pairOf(await login('driver-me@example.com', 'password-123'));
      const b = pairOf(await login('driver-me@example.com', 'password-123'));
      expect(
        (await call('/me', { method: 'PATCH', body: { name: 'Renamed' }, token: a.accessToken })).body.name,
      ).toBe('Renamed');
      const wrong = await call('/me', {
        method: 'PATCH',
        body: { password: 'new-password-1', currentPassword: 'nope' },
        token: a.accessToken,
      });
      expect(wrong.status).toBe(403);
      const changed = await call('/me', {
        method: 'PATCH',
        body: { password: 'new-password-1', currentPassword: 'password-123' },
        token: a.accessToken,
      });
      expect(changed.status).toBe(200);
      expect((await call('/me', { token: a.accessToken })).status).toBe(200);
      expect((await call('/me', { token: b.accessToken })).body.code).toBe('SESSION_REVOKED');
      expect((await login('driver-me@example.com', 'new-password-1')).status).toBe(200);
    });

    it('exports every personal datum; DELETE /me: the driver can no longer log in, their trip shows no personal data', async () => {
      await client.driver('leaving');
      const { accessToken: token } = pairOf(await login('driver-leaving@example.com', 'password-123'));
      const trip = await post('/trips', { vehicleId: 'ID-CAR' }, token);
      expect(trip.status).toBe(201);
      await car.publishSample({ locked: false });
      await call(`/trips/${trip.body.id as string}/end`, { method: 'POST', token }).then(async (res) => {
        if (res.status !== 200) {
          await car.publishSample();
          expect((await post(`/trips/${trip.body.id as string}/end`, undefined, token)).status).toBe(200);
        }
      });

      const exported = await call('/me/export', { token });
      expect(exported.status).toBe(200);
      expect(exported.body.account).toMatchObject({
        email: 'driver-leaving@example.com',
        name: 'Driver leaving',
      });
      expect((exported.body.trips as { id: string }[]).map((t) => t.id)).toEqual([trip.body.id]);
      expect((exported.body.sessions as unknown[]).length).toBeGreaterThan(0);
      expect(exported.body).toHaveProperty('reservations');

      const gone = await client.call('/me', { method: 'DELETE', token });
      expect(gone.status).toBe(204);
      expect((await call('/me', { token })).status).toBe(401);
      expect((await login('driver-leaving@example.com', 'password-123')).body.code).toBe(
        'INVALID_CREDENTIALS',
      );
      const { rows } = await db.client.query(
        `SELECT u.email, u.name, u.password_hash, t.price IS NOT NULL AS priced
           FROM trips t JOIN users u ON u.id = t.driver_id WHERE t.id = $1`,
        [trip.body.id],
      );
      expect(rows).toEqual([
        {
          email: expect.stringMatching(/^deleted-.*@deleted\.invalid$/),
          name: '',
          password_hash: null,
          priced: true,
        },
      ]);
      const seenByStaff = await call(`/trips/${trip.body.id as string}`, { token: admin });
      expect(JSON.stringify(seenByStaff.body)).not.toMatch(/leaving/i);
      // The address is free again for a new account.
      expect(
        (
          await post('/auth/register', {
            email: 'driver-leaving@example.com',
            password: 'password-123',
            name: 'New',
          })
        ).status,
      ).toBe(201);
      expect((await login('driver-leaving@example.com', 'password-123')).status).toBe(200);
    }, 60_000);
  });
});
