import { allows, COMMAND_PERMISSIONS, isStaff, PERMISSIONS, Role, StaffRole, TokenConfig } from '@fleet/auth';
import type { CommandType } from '@fleet/contracts';
import { verifyMqttPassword } from '@fleet/domain';
import { SimulatedCar } from '@fleet/simulator';
import {
  createTestDatabase,
  freePort,
  MailServer,
  MosquittoInstance,
  openTestSession,
  ServiceProcess,
  startMailServer,
  startMosquitto,
  startService,
  TestDatabase,
  waitFor,
} from '@fleet/testing';
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';
import { io } from 'socket.io-client';
import { BERLIN_CENTRE } from './booking-api';
import { startBooking, startGateway, TEST_OPERATOR } from './platform';

/** The development signing key the repository once held as a constant (CONTRACT.md 6: works nowhere). */
const OLD_DEV_JWT_SECRET = 'fleet-development-secret-do-not-use-in-production';

/**
 * The callers of the matrix: nobody, two drivers and one member of staff of each role. Driver A owns
 * a reservation and a trip; driver B owns nothing of A's.
 */
const CALLERS = [
  'anonymous',
  'driverA',
  'driverB',
  'service_agent',
  'support',
  'fleet_manager',
  'admin',
] as const;
type Who = (typeof CALLERS)[number];
type SignedIn = Exclude<Who, 'anonymous'>;

const ROLE_OF: Record<Who, Role | null> = {
  anonymous: null,
  driverA: 'driver',
  driverB: 'driver',
  service_agent: 'service_agent',
  support: 'support',
  fleet_manager: 'fleet_manager',
  admin: 'admin',
};

/**
 * The order a row's cells run in: the least privileged first, the owner last, so that every refused
 * attempt on A's reservation or trip comes before the calls that may change it (park, end, cancel).
 */
const RUN_ORDER: readonly Who[] = [
  'anonymous',
  'driverB',
  'service_agent',
  'support',
  'fleet_manager',
  'admin',
  'driverA',
];

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

interface Row {
  method: string;
  /** The URL path; `:name` is a path parameter, filled in at run time. */
  path: string;
  expected: Record<Who, number>;
}

const row = (
  method: string,
  path: string,
  anonymous: number,
  driverA: number,
  driverB: number,
  service_agent: number,
  support: number,
  fleet_manager: number,
  admin: number,
): Row => ({
  method,
  path,
  expected: { anonymous, driverA, driverB, service_agent, support, fleet_manager, admin },
});

const GBFS_FILES = [
  'gbfs.json',
  'system_information.json',
  'vehicle_types.json',
  'vehicle_status.json',
  'geofencing_zones.json',
  'system_pricing_plans.json',
];

/**
 * Every route of the booking service (its controllers, /health and the OpenAPI document) and the
 * status each caller gets. A driver's reservation and trip are visible to that driver and to support
 * and above, 404 to other drivers (CONTRACT.md 2.3, 2.4: no existence leak); driver writes are the
 * driver's own (staff 403); vehicle routes are staff's, each as its role allows (CONTRACT.md 5);
 * staff management and the audit log are the admin's; no token 401 wherever one is needed. Support
 * and above may cancel a driver's reservation. Commands have a row per kind: honk (all staff),
 * immobilize with a reason (fleet managers and admins: COMMAND_PERMISSIONS), unlock without a reason
 * (400 to staff: STEP_UP_COMMANDS). A test below checks this against PERMISSIONS.
 */
// prettier-ignore
const MATRIX: readonly Row[] = [
  //   method    path                                               anon drvA drvB agent supp fleet admin
  // public
  row('GET',    '/health',                                            200, 200, 200, 200, 200, 200, 200),
  row('GET',    '/api/docs-json',                                     200, 200, 200, 200, 200, 200, 200),
  row('GET',    '/api/docs',                                          200, 200, 200, 200, 200, 200, 200),
  row('POST',   '/api/v1/auth/register',                              201, 201, 201, 201, 201, 201, 201),
  row('POST',   '/api/v1/auth/login',                                 200, 200, 200, 200, 200, 200, 200),
  row('POST',   '/api/v1/auth/refresh',                               200, 200, 200, 200, 200, 200, 200),
  row('POST',   '/api/v1/auth/password',                              200, 200, 200, 200, 200, 200, 200),
  row('GET',    '/api/v1/vehicles/nearby',                            200, 200, 200, 200, 200, 200, 200),
  row('GET',    '/api/v1/zones',                                      200, 200, 200, 200, 200, 200, 200),
  // open data (GBFS v3.0, CONTRACT.md 2.6)
  ...GBFS_FILES.map((file) =>
    row('GET',  `/api/v1/gbfs/${file}`,                               200, 200, 200, 200, 200, 200, 200)),
  // anyone signed in: their own account and session
  row('POST',   '/api/v1/auth/logout',                                401, 204, 204, 204, 204, 204, 204),
  row('GET',    '/api/v1/me',                                         401, 200, 200, 200, 200, 200, 200),
  row('PATCH',  '/api/v1/me',                                         401, 200, 200, 200, 200, 200, 200),
  row('GET',    '/api/v1/me/export',                                  401, 200, 200, 200, 200, 200, 200),
  row('POST',   '/api/v1/me/mfa/totp',                                401, 201, 201, 201, 201, 201, 201),
  row('POST',   '/api/v1/me/mfa/totp/verify',                         401, 200, 200, 200, 200, 200, 200),
  row('DELETE', '/api/v1/me',                                         401, 204, 204, 403, 403, 403, 403),
  // a driver's own, visible to support and above
  row('GET',    '/api/v1/me/trips',                                   401, 200, 200, 200, 200, 200, 200),
  row('GET',    '/api/v1/reservations/:tripReservationId',            401, 200, 404, 403, 200, 200, 200),
  row('GET',    '/api/v1/trips/:tripId',                              401, 200, 404, 403, 200, 200, 200),
  row('GET',    '/api/v1/trips/:tripId/route',                        401, 200, 404, 403, 200, 200, 200),
  // a driver's writes
  row('POST',   '/api/v1/trips/:tripId/park',                         401, 200, 404, 403, 403, 403, 403),
  row('POST',   '/api/v1/trips/:tripId/resume',                       401, 200, 404, 403, 403, 403, 403),
  row('POST',   '/api/v1/trips/:tripId/end',                          401, 200, 404, 403, 403, 403, 403),
  row('POST',   '/api/v1/reservations',                               401, 201, 201, 403, 403, 403, 403),
  row('DELETE', '/api/v1/reservations/:reservationId',                401, 200, 404, 403, 200, 200, 200),
  row('POST',   '/api/v1/trips',                                      401, 201, 404, 403, 403, 403, 403),
  // staff
  row('POST',   '/api/v1/vehicles',                                   401, 403, 403, 403, 403, 201, 201),
  row('GET',    '/api/v1/vehicles',                                   401, 403, 403, 200, 200, 200, 200),
  row('GET',    '/api/v1/vehicles/:vehicleId',                        401, 403, 403, 200, 200, 200, 200),
  row('PATCH',  '/api/v1/vehicles/:spareVehicleId',                   401, 403, 403, 200, 403, 200, 200),
  row('GET',    '/api/v1/vehicles/:vehicleId/track',                  401, 403, 403, 403, 200, 200, 200),
  row('POST',   '/api/v1/vehicles/:honkVehicleId/commands',           401, 403, 403, 201, 201, 201, 201),
  row('POST',   '/api/v1/vehicles/:immobilizeVehicleId/commands',     401, 403, 403, 403, 403, 201, 201),
  row('POST',   '/api/v1/vehicles/:unlockVehicleId/commands',         401, 403, 403, 400, 400, 400, 400),
  row('POST',   '/api/v1/vehicles/:credentialsVehicleId/credentials', 401, 403, 403, 403, 403, 201, 201),
  row('GET',    '/api/v1/telemetry/rejects',                          401, 403, 403, 403, 200, 200, 200),
  row('POST',   '/api/v1/zones',                                      401, 403, 403, 403, 403, 201, 201),
  row('DELETE', '/api/v1/zones/:zoneId',                              401, 403, 403, 403, 403, 204, 204),
  // admins
  row('GET',    '/api/v1/staff',                                      401, 403, 403, 403, 403, 403, 200),
  row('POST',   '/api/v1/staff',                                      401, 403, 403, 403, 403, 403, 201),
  row('PATCH',  '/api/v1/staff/:staffId',                             401, 403, 403, 403, 403, 403, 200),
  row('GET',    '/api/v1/audit',                                      401, 403, 403, 403, 403, 403, 200),
];

/** The command each commands row sends (COMMAND_PERMISSIONS narrows the row's access by it). */
const ROW_COMMANDS: Readonly<Record<string, CommandType>> = {
  'POST /api/v1/vehicles/:honkVehicleId/commands': 'honk',
  'POST /api/v1/vehicles/:immobilizeVehicleId/commands': 'immobilize',
  'POST /api/v1/vehicles/:unlockVehicleId/commands': 'unlock',
};

/**
 * Rows without a key in PERMISSIONS: the OpenAPI document and its page are served by Swagger's own
 * Express routes, which no Nest guard sees; public by design.
 */
const OUTSIDE_THE_TABLE = new Set(['GET /api/docs-json', 'GET /api/docs']);

const labelOf = (r: Row) => `${r.method} ${r.path}`;

/** The permission table's key of a row: the path without /api/v1, each parameter `:id`. */
const keyOf = (r: Row) => `${r.method} ${r.path.replace(/^\/api\/v1(?=\/)/, '').replace(/:\w+/g, ':id')}`;

const paramCount = (key: string) => key.split(':').length - 1;

/** The permission table's key of a request, as the router picks it (literal segments first). */
function tableKey(method: string, url: string): string | undefined {
  const segments = url
    .split('?')[0]
    .replace(/^\/api\/v1(?=\/)/, '')
    .split('/');
  return Object.keys(PERMISSIONS)
    .filter((key) => {
      const [keyMethod, keyPath] = key.split(' ');
      const keySegments = keyPath.split('/');
      return (
        keyMethod === method &&
        keySegments.length === segments.length &&
        keySegments.every((s, i) => s.startsWith(':') || s === segments[i])
      );
    })
    .sort((a, b) => paramCount(a) - paramCount(b))[0];
}

/** An account's open session and its access token, as the test holds it. */
interface Session {
  token: string;
  userId: string;
  sessionId: string;
  email: string;
  role: Role;
  /** For accounts that log in; staff made by openTestSession have none. */
  password?: string;
}

/** One call of the matrix. */
interface Cell {
  who: Who;
  /** The session the call is made with; none for anonymous. */
  session?: Session;
  /** Path parameters, and whatever `prepare` made for this call. */
  values: Record<string, string>;
  /** The row's state before the call. */
  before?: unknown;
}

/** How one row's calls are made beyond its method and path. */
interface RowDetails {
  query?: string;
  /**
   * A session of the caller's role made for this call alone, where the call uses its session up
   * (`session`: another session of the same account where it can log in) or its account (`account`).
   */
  fresh?: 'session' | 'account';
  /** Path parameters and values made for this call, where a call of the row may use up the shared ones. */
  prepare?: (cell: Cell) => Promise<Record<string, string>>;
  body?: (cell: Cell) => unknown;
  /**
   * What a call of the row could change, read before and after it: a refused call must leave it as it
   * was, an allowed write must change it. Every row that writes has one.
   */
  state?: (cell: Cell) => Promise<unknown>;
  /** Clean-up after the call, or keeps what it made for the next. Runs before the assertions. */
  after?: (cell: Cell, answer: Answer) => Promise<void>;
  /** More to check of an answer the caller was allowed. */
  check?: (cell: Cell, answer: Answer) => void | Promise<void>;
}

const b64url = (value: string | Buffer) => Buffer.from(value).toString('base64url');

/** A JWT made by hand: HS256 (or HS512) with `key`, or unsigned (`key` null, for alg "none"). */
function jwt(claims: object, key: string | null, header: object = { alg: 'HS256', typ: 'JWT' }): string {
  const unsigned = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  if (key === null) return `${unsigned}.`;
  const hash = (header as { alg?: string }).alg === 'HS512' ? 'sha512' : 'sha256';
  return `${unsigned}.${createHmac(hash, key).update(unsigned).digest('base64url')}`;
}

const claimsOf = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as Record<string, unknown>;

/** Who a hand-made token is for: an account and one of its sessions. */
interface TokenSubject {
  userId: string;
  sessionId: string;
  email: string;
  role: Role;
}

/** What the forgeries are made from: the services' key, real sessions and a real token. */
interface TokenKit {
  secret: string;
  issuer: string;
  audience: string;
  /** The test admin's session. */
  admin: TokenSubject;
  /** An admin's session that has been logged out. */
  ended: TokenSubject;
  driverA: string;
}

/** Valid claims of `subject`, `change`d: a token that lacks nothing but its defect. */
function claimsFor(kit: TokenKit, subject: TokenSubject, change: Record<string, unknown> = {}) {
  const now = Math.floor(Date.now() / 1000);
  return {
    sub: subject.userId,
    sid: subject.sessionId,
    email: subject.email,
    role: subject.role,
    amr: ['pwd'],
    iss: kit.issuer,
    aud: kit.audience,
    iat: now,
    exp: now + 600,
    ...change,
  };
}
const adminClaims = (kit: TokenKit, change: Record<string, unknown> = {}) =>
  claimsFor(kit, kit.admin, change);

/**
 * Tokens an attacker can make without the key, and tokens the key signs that still must not pass.
 * Each would be an admin's, were it accepted. `code`: the API's 401 code (UNAUTHORIZED unless said).
 */
const FORGED_TOKENS: readonly { name: string; token: (kit: TokenKit) => string; code?: string }[] = [
  {
    name: 'alg "none", unsigned',
    token: (kit) => jwt(adminClaims(kit), null, { alg: 'none', typ: 'JWT' }),
  },
  {
    name: 'signed with another key',
    token: (kit) => jwt(adminClaims(kit), randomBytes(32).toString('hex')),
  },
  {
    name: 'signed with the development key earlier versions of the repository published',
    token: (kit) => jwt(adminClaims(kit), OLD_DEV_JWT_SECRET),
  },
  {
    name: 'HS512 with the right key (only HS256 is accepted)',
    token: (kit) => jwt(adminClaims(kit), kit.secret, { alg: 'HS512', typ: 'JWT' }),
  },
  {
    name: 'for another audience',
    token: (kit) => jwt(adminClaims(kit, { aud: 'another-api' }), kit.secret),
  },
  {
    name: 'from another issuer',
    token: (kit) => jwt(adminClaims(kit, { iss: 'another-issuer' }), kit.secret),
  },
  {
    name: 'without audience and issuer',
    token: (kit) => jwt(adminClaims(kit, { aud: undefined, iss: undefined }), kit.secret),
  },
  {
    name: 'expired a minute ago',
    token: (kit) => {
      const now = Math.floor(Date.now() / 1000);
      return jwt(adminClaims(kit, { iat: now - 660, exp: now - 60 }), kit.secret);
    },
  },
  {
    name: 'without exp',
    token: (kit) => jwt(adminClaims(kit, { exp: undefined }), kit.secret),
  },
  {
    name: 'without iat',
    token: (kit) => jwt(adminClaims(kit, { iat: undefined }), kit.secret),
  },
  {
    name: 'with a lifetime above 15 minutes (exp - iat = 3600)',
    token: (kit) => {
      const now = Math.floor(Date.now() / 1000);
      return jwt(adminClaims(kit, { iat: now, exp: now + 3600 }), kit.secret);
    },
  },
  {
    name: 'without sid',
    token: (kit) => jwt(adminClaims(kit, { sid: undefined }), kit.secret),
  },
  {
    name: 'with the sid of an ended session (logged out)',
    token: (kit) => jwt(claimsFor(kit, kit.ended), kit.secret),
    code: 'SESSION_REVOKED',
  },
  {
    name: 'with a sid that names no session',
    token: (kit) => jwt(adminClaims(kit, { sid: randomUUID() }), kit.secret),
    code: 'SESSION_REVOKED',
  },
  {
    name: "with the sid of another account's session (driver A's)",
    token: (kit) => jwt(adminClaims(kit, { sid: claimsOf(kit.driverA).sid }), kit.secret),
    code: 'SESSION_REVOKED',
  },
  {
    name: "driver A's token with its role edited to admin",
    token: (kit) => {
      const [header, , signature] = kit.driverA.split('.');
      const edited = { ...claimsOf(kit.driverA), role: 'admin' };
      return `${header}.${b64url(JSON.stringify(edited))}.${signature}`;
    },
  },
  {
    name: "driver A's token without its signature",
    token: (kit) => kit.driverA.split('.').slice(0, 2).join('.'),
  },
  { name: 'a garbage string', token: () => 'not-a-jwt' },
];

/** A code of a TOTP secret (base32) now, as an authenticator app shows it (RFC 6238: SHA-1, 6, 30 s). */
const totpCode = (secret: string) =>
  new TOTP({ algorithm: 'SHA1', digits: 6, period: 30, secret: Secret.fromBase32(secret) }).generate();

/**
 * The booking API's access control, end to end: the gateway, booking and live-map services as
 * processes on real PostgreSQL/PostGIS, Mosquitto and an SMTP server; cars are simulated MQTT clients
 * registered through the staff API. Who may call what (the matrix: every route x every role), that
 * refused calls change nothing and only allowed staff writes reach the audit log, that a driver's
 * commands reach only their own car, and that forged tokens are refused by the API and the live
 * map's socket handshake.
 */
describe('API security: access matrix, command isolation, forged tokens', () => {
  const JWT_SECRET = randomBytes(24).toString('hex');
  const { JWT_ISSUER, JWT_AUDIENCE } = new TokenConfig();
  const ALEX = { lat: 52.5219, lon: 13.4132 };
  const DRIVER_PASSWORD = 'password-123';
  let db: TestDatabase;
  let broker: MosquittoInstance;
  let mail: MailServer;
  let gateway: ServiceProcess;
  let booking: ServiceProcess;
  let liveMap: ServiceProcess;
  const cars: SimulatedCar[] = [];
  /** The matrix's cars for commands (SEC-HONK; SEC-IMMO, never on a trip) and for reservations. */
  let honkCar: SimulatedCar;
  let immobilizeCar: SimulatedCar;
  let reservableCar: SimulatedCar;
  /** The matrix's callers' sessions. */
  const sessions = {} as Record<SignedIn, Session>;
  /** An admin of the test's own for fixtures and reads around the calls under test. */
  let setup: Session;
  /** Every session the test opened, by access token. */
  const known = new Map<string, Session>();
  /** While recording: every request with its token and answer (the audit log's expectation). */
  let ledger: { token?: string; method: string; path: string; status: number }[] | undefined;
  let serial = 0;
  const unique = () => `${++serial}-${randomBytes(2).toString('hex')}`;

  /**
   * A request to the booking service; `path` is the URL path (the API's starts with /api/v1). `body`
   * is sent as JSON, `rawBody` as it is (with the JSON content type).
   */
  async function send(
    method: string,
    path: string,
    options: {
      authorization?: string;
      body?: unknown;
      rawBody?: string;
      headers?: Record<string, string>;
    } = {},
  ): Promise<Answer> {
    const payload =
      options.rawBody ?? (options.body !== undefined ? JSON.stringify(options.body) : undefined);
    const res = await fetch(`${booking.baseUrl}${path}`, {
      method,
      headers: {
        ...(payload !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(options.authorization !== undefined ? { authorization: options.authorization } : {}),
        ...options.headers,
      },
      body: payload,
    });
    const text = await res.text();
    let body: Record<string, unknown> = {};
    try {
      body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      body = { text }; // the Swagger UI page
    }
    const bearer = options.authorization?.startsWith('Bearer ') ? options.authorization.slice(7) : undefined;
    ledger?.push({ token: bearer, method, path, status: res.status });
    return { status: res.status, body };
  }

  /** An API call with a session (none: anonymous). */
  const call = (session: Session | undefined, method: string, apiPath: string, body?: unknown) =>
    send(method, `/api/v1${apiPath}`, { authorization: session && `Bearer ${session.token}`, body });

  /** An API call as one of the matrix's callers. */
  const as = (who: Who, method: string, apiPath: string, body?: unknown) =>
    call(who === 'anonymous' ? undefined : sessions[who], method, apiPath, body);

  const q = async <T = Record<string, unknown>>(sql: string, values: unknown[] = []) =>
    (await db.client.query(sql, values)).rows as T[];

  /** The session of an access token the service just issued, remembered. */
  function remember(token: string, password?: string): Session {
    const claims = claimsOf(token);
    const session: Session = {
      token,
      userId: claims.sub as string,
      sessionId: claims.sid as string,
      email: claims.email as string,
      role: claims.role as Role,
      password,
    };
    known.set(token, session);
    return session;
  }

  async function login(email: string, password: string): Promise<{ session: Session; refreshToken: string }> {
    const res = await send('POST', '/api/v1/auth/login', { body: { email, password } });
    expect(res.status).toBe(200);
    return {
      session: remember(res.body.accessToken as string, password),
      refreshToken: res.body.refreshToken as string,
    };
  }

  /** A new driver, registered and logged in as the apps do. */
  async function newDriver(name = `tmp-${unique()}`): Promise<Session> {
    const email = `driver-${name}@example.com`;
    const reg = await send('POST', '/api/v1/auth/register', {
      body: { email, password: DRIVER_PASSWORD, name: `Driver ${name}` },
    });
    expect(reg.status).toBe(201);
    return (await login(email, DRIVER_PASSWORD)).session;
  }

  /** A new member of staff of `role` with a session, made in the database (openTestSession). */
  async function newStaff(role: StaffRole): Promise<Session> {
    const made = await openTestSession(db.client, role, { secret: JWT_SECRET });
    return remember(made.token);
  }

  /** A session for one call of `who` that the call may use up (RowDetails.fresh). */
  async function freshSession(who: Who, kind: 'session' | 'account'): Promise<Session | undefined> {
    if (who === 'anonymous') return undefined;
    const role = ROLE_OF[who]!;
    if (role === 'driver') {
      const own = sessions[who];
      return kind === 'session' ? (await login(own.email, own.password!)).session : newDriver();
    }
    return newStaff(role);
  }

  /** Invites a member of staff through the API and reads the one-time link's token from the mail. */
  async function invite(
    email: string,
    role: StaffRole = 'support',
  ): Promise<{ userId: string; token: string }> {
    const made = await call(setup, 'POST', '/staff', { email, name: 'Invited Member', role });
    expect(made.status).toBe(201);
    const letter = await mail.waitForMail(email, 'choose your password');
    const token = /set-password=([\w-]+)/.exec(letter.text)?.[1];
    expect(token).toBeDefined();
    return { userId: made.body.id as string, token: token! };
  }

  const mailsTo = async (email: string) =>
    (await mail.messages()).filter((m) => m.to.includes(email.toLowerCase())).length;

  /** One account as the database holds it (what the /me, /auth and /staff rows could change), or null. */
  async function account(id: string | undefined) {
    if (id === undefined) return null;
    const [user] = await q(
      `SELECT email, name, role, password_hash AS "passwordHash", totp_secret IS NOT NULL AS "totpStarted",
              totp_enabled_at IS NOT NULL AS "totpEnrolled", blocked_at IS NOT NULL AS blocked,
              deleted_at IS NOT NULL AS deleted, updated_at AS "updatedAt",
              (SELECT count(*)::int FROM sessions s WHERE s.user_id = u.id AND s.ended_at IS NULL) AS "openSessions",
              (SELECT count(*)::int FROM mfa_recovery_codes c WHERE c.user_id = u.id) AS "recoveryCodes"
         FROM users u WHERE id = $1`,
      [id],
    );
    return user ?? null;
  }

  /** All accounts and sessions in a few numbers: what an anonymous call to an account route could change. */
  const everyone = async () =>
    (
      await q(
        `SELECT (SELECT count(*)::int FROM users) AS users,
                (SELECT count(*)::int FROM users WHERE deleted_at IS NOT NULL) AS deleted,
                (SELECT count(*)::int FROM users WHERE totp_secret IS NOT NULL) AS "totpStarted",
                (SELECT max(updated_at) FROM users) AS "lastUpdate",
                (SELECT count(*)::int FROM sessions WHERE ended_at IS NULL) AS "openSessions"`,
      )
    )[0];

  /** The caller's account, and everyone's (for an anonymous call, there is no caller's). */
  const identityState = async (cell: Cell) => [await account(cell.session?.userId), await everyone()];

  /** Registers a car through the staff API; it connects with its credentials and reports once. */
  async function addCar(id: string, eastM: number): Promise<SimulatedCar> {
    const reg = await call(setup, 'POST', '/vehicles', {
      id,
      plate: `B-SC ${id.slice(-4)}`,
      model: 'VW ID.3',
      propulsion: 'electric',
    });
    expect(reg.status).toBe(201);
    const mqttCredentials = reg.body.mqtt as { username: string; password: string };
    const car = new SimulatedCar({
      url: broker.url,
      vehicleId: id,
      username: mqttCredentials.username,
      password: mqttCredentials.password,
      lat: ALEX.lat,
      lon: ALEX.lon + eastM / (111_320 * Math.cos((ALEX.lat * Math.PI) / 180)),
      propulsion: 'electric',
    });
    cars.push(car);
    await car.connect();
    await car.publishSample();
    await waitFor(
      async () => (await call(setup, 'GET', `/vehicles/${id}`)).body.state === 'available',
      10_000,
      `${id} available`,
    );
    return car;
  }

  const commandsOf = (car: SimulatedCar) => car.receivedCommands.map((c) => c.type);
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  /** The live map's handshake on namespace /live: "connected", or the connect_error message. */
  function handshake(tokenValue: string | undefined): Promise<string> {
    const socket = io(`${liveMap.baseUrl}/live`, {
      auth: tokenValue === undefined ? {} : { token: tokenValue },
      transports: ['websocket'],
      reconnection: false,
    });
    return new Promise<string>((resolve) => {
      socket.once('connect', () => resolve('connected'));
      socket.once('connect_error', (err) => resolve(err.message));
    }).finally(() => socket.disconnect());
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    [broker, mail] = await Promise.all([startMosquitto(), startMailServer()]);
    const infra = { DATABASE_URL: db.url, MQTT_URL: broker.url };
    gateway = await startGateway(infra);
    // Their own signing key, so that a token signed with the published development key is a forgery.
    booking = await startBooking(infra, {
      JWT_SECRET,
      VEHICLE_COMMAND_TIMEOUT_S: '3',
      SMTP_URL: mail.smtpUrl,
    });
    liveMap = await startService('live-map', await freePort(), { ...infra, JWT_SECRET });
    setup = await newStaff('admin');
    sessions.admin = (await login(TEST_OPERATOR.email, TEST_OPERATOR.password)).session;
    expect(sessions.admin.role).toBe('admin');
    for (const role of ['service_agent', 'support', 'fleet_manager'] as const)
      sessions[role] = await newStaff(role);
    sessions.driverA = await newDriver('sec-a');
    sessions.driverB = await newDriver('sec-b');
    const zone = await call(setup, 'POST', '/zones', {
      name: 'Berlin',
      kind: 'business_area',
      geometry: BERLIN_CENTRE,
    });
    expect(zone.status).toBe(201);
  }, 90_000);

  afterAll(async () => {
    await Promise.all(cars.map((c) => c.disconnect().catch(() => undefined)));
    await Promise.all([liveMap, booking, gateway].map((s) => s?.kill('SIGTERM')));
    await Promise.all([broker?.stop(), mail?.stop()]);
    await db?.drop();
  }, 30_000);

  describe('the matrix: every route x anonymous, two drivers and each staff role', () => {
    /** Shared path parameters; a row's `prepare` may override them with fresh ones. */
    const params: Record<string, string> = {
      vehicleId: 'SEC-TRIP',
      spareVehicleId: 'SEC-SPARE',
      honkVehicleId: 'SEC-HONK',
      immobilizeVehicleId: 'SEC-IMMO',
      unlockVehicleId: 'SEC-IMMO',
      credentialsVehicleId: 'SEC-CRED',
    };
    const LOGIN_USER = { email: 'driver-sec-login@example.com', password: DRIVER_PASSWORD };
    const CHOSEN_PASSWORD = 'chosen-password-1';
    const reasonOf = (what: string, who: Who) => `${what} (${who})`;
    /** Driver A's active reservation of SEC-RES, while there is one. */
    let activeReservation: string | undefined;
    /** A zone made for DELETE /zones/:zoneId, until one call deletes it. */
    let spareZone: string | undefined;
    /** Each call the matrix made: who, with which session, for which key, and its answer. */
    const made: { who: Who; session?: Session; key: string; status: number }[] = [];
    /** The audit log's last row before the matrix. */
    let auditBefore = 0;
    let matrixStart: Date;

    async function reservationOfA(): Promise<string> {
      if (activeReservation) return activeReservation;
      const res = await as('driverA', 'POST', '/reservations', { vehicleId: 'SEC-RES' });
      expect(res.status).toBe(201);
      activeReservation = res.body.id as string;
      return activeReservation;
    }

    const tinySquare = (lon: number) => ({
      type: 'Polygon',
      coordinates: [
        [
          [lon, 50],
          [lon + 0.001, 50],
          [lon + 0.001, 50.001],
          [lon, 50.001],
          [lon, 50],
        ],
      ],
    });
    const zoneIds = async () =>
      ((await as('anonymous', 'GET', '/zones')).body.zones as { id: string }[]).map((z) => z.id);
    const tripState = async () => {
      const { body } = await call(setup, 'GET', `/trips/${params.tripId}`);
      return { status: body.status, parkedSince: body.parkedSince, endedAt: body.endedAt };
    };
    const reservationStatus = async (id: string | undefined) =>
      (await call(setup, 'GET', `/reservations/${id}`)).body.status;
    const vehicle = async (id: string) => (await call(setup, 'GET', `/vehicles/${id}`)).body;
    /** After a call that ended this session, its token no longer opens anything. */
    const sessionEnded = async (session: Session) => {
      const res = await call(session, 'GET', '/me');
      expect({ status: res.status, code: res.body.code }).toEqual({ status: 401, code: 'SESSION_REVOKED' });
    };
    const refreshTokenState = async (sessionId: string) =>
      (
        await q(
          `SELECT count(*)::int AS issued, count(*) FILTER (WHERE used_at IS NULL)::int AS unused
             FROM refresh_tokens WHERE session_id = $1`,
          [sessionId],
        )
      )[0];

    const DETAILS: Record<string, RowDetails> = {
      'POST /api/v1/auth/register': {
        body: ({ who }) => ({ email: `new-${who}@example.com`, password: DRIVER_PASSWORD, name: who }),
        state: async ({ who }) =>
          (
            await q(`SELECT count(*)::int AS n FROM users WHERE email = lower($1)`, [
              `new-${who}@example.com`,
            ])
          )[0],
        check: (_cell, { body }) => expect(body.role).toBe('driver'),
      },
      'POST /api/v1/auth/login': {
        body: () => LOGIN_USER,
        state: async () =>
          (
            await q(
              `SELECT count(*)::int AS n FROM sessions WHERE user_id = (SELECT id FROM users WHERE email = $1)`,
              [LOGIN_USER.email],
            )
          )[0],
        check: (_cell, { body }) => {
          expect(body).toMatchObject({
            accessToken: expect.any(String),
            refreshToken: expect.any(String),
            tokenType: 'Bearer',
            expiresIn: 900,
          });
          const claims = claimsOf(body.accessToken as string);
          expect(claims).toMatchObject({ sid: expect.any(String), iat: expect.any(Number) });
          expect((claims.exp as number) - (claims.iat as number)).toBeLessThanOrEqual(900);
        },
      },
      'POST /api/v1/auth/refresh': {
        // A refresh token of its own for each call: a refresh uses it up.
        prepare: async () => {
          const { session, refreshToken } = await login(LOGIN_USER.email, LOGIN_USER.password);
          return { refreshToken, refreshSessionId: session.sessionId };
        },
        body: ({ values }) => ({ refreshToken: values.refreshToken }),
        state: ({ values }) => refreshTokenState(values.refreshSessionId),
        check: ({ values }, { body }) => {
          expect(body.refreshToken).toEqual(expect.any(String));
          expect(body.refreshToken).not.toBe(values.refreshToken);
          expect(claimsOf(body.accessToken as string).sid).toBe(values.refreshSessionId);
        },
      },
      'POST /api/v1/auth/password': {
        // An invitation of its own for each call: its link works once.
        prepare: async ({ who }) => {
          const email = `invited-pw-${who}@fleet.test`;
          return { email, ...(await invite(email)) };
        },
        body: ({ values }) => ({ token: values.token, password: CHOSEN_PASSWORD }),
        state: async ({ values }) => [
          await account(values.userId),
          (
            await q(`SELECT count(*)::int AS n FROM one_time_tokens WHERE user_id = $1 AND used_at IS NULL`, [
              values.userId,
            ])
          )[0],
        ],
        check: async ({ values }, { body }) => {
          expect(body).toMatchObject({ id: values.userId, role: 'support' });
          expect(
            (
              await send('POST', '/api/v1/auth/login', {
                body: { email: values.email, password: CHOSEN_PASSWORD },
              })
            ).status,
          ).toBe(200);
        },
      },
      'GET /api/v1/vehicles/nearby': { query: `?lat=${ALEX.lat}&lon=${ALEX.lon}&radius=5000` },
      'POST /api/v1/auth/logout': {
        fresh: 'session',
        state: async ({ session }) => [
          session && (await q(`SELECT end_reason FROM sessions WHERE id = $1`, [session.sessionId]))[0],
          await everyone(),
        ],
        check: ({ session }) => sessionEnded(session!),
      },
      'GET /api/v1/me': {
        check: ({ who, session }, { body }) =>
          expect(body).toMatchObject({ id: session!.userId, email: session!.email, role: ROLE_OF[who] }),
      },
      'PATCH /api/v1/me': {
        body: ({ who }) => ({ name: `${who}, renamed` }),
        state: identityState,
        check: ({ who }, { body }) => expect(body.name).toBe(`${who}, renamed`),
      },
      'GET /api/v1/me/export': {
        check: ({ session }, { body }) => {
          expect(body).toMatchObject({ exportedAt: expect.any(String), account: { id: session!.userId } });
          expect(body.sessions).toEqual(
            expect.arrayContaining([expect.objectContaining({ id: session!.sessionId })]),
          );
        },
      },
      'POST /api/v1/me/mfa/totp': {
        fresh: 'account',
        state: identityState,
        check: (_cell, { body }) =>
          expect(body).toMatchObject({
            secret: expect.stringMatching(/^[A-Z2-7]+=*$/),
            otpauthUri: expect.stringMatching(/^otpauth:\/\/totp\//),
          }),
      },
      'POST /api/v1/me/mfa/totp/verify': {
        fresh: 'account',
        // Enrolment's first step, so that a correct code can be sent.
        prepare: async ({ session }): Promise<Record<string, string>> => {
          if (!session) return {};
          const enrolment = await call(session, 'POST', '/me/mfa/totp');
          expect(enrolment.status).toBe(201);
          return { secret: enrolment.body.secret as string };
        },
        body: ({ values }) => ({ code: values.secret ? totpCode(values.secret) : '123456' }),
        state: identityState,
        check: async ({ session }, { body }) => {
          expect(body.recoveryCodes).toHaveLength(10);
          expect((await call(session, 'GET', '/me')).body.mfa).toEqual({
            totpEnrolled: true,
            recoveryCodesLeft: 10,
          });
        },
      },
      'DELETE /api/v1/me': {
        fresh: 'account',
        state: identityState,
        check: async ({ session }) => {
          await sessionEnded(session!);
          expect(await account(session!.userId)).toMatchObject({
            email: `deleted-${session!.userId}@deleted.invalid`,
            name: '',
            passwordHash: null,
            deleted: true,
          });
          const relogin = await send('POST', '/api/v1/auth/login', {
            body: { email: session!.email, password: DRIVER_PASSWORD },
          });
          expect(relogin.status).toBe(401);
        },
      },
      'GET /api/v1/me/trips': {
        // Each caller's own trips: A's trip is A's alone.
        check: ({ who }, { body }) => {
          const ids = (body.trips as { id: string }[]).map((t) => t.id);
          if (who === 'driverA') expect(ids).toContain(params.tripId);
          else expect(ids).not.toContain(params.tripId);
        },
      },
      'GET /api/v1/reservations/:tripReservationId': {
        check: (_cell, { body }) => expect(body.id).toBe(params.tripReservationId),
      },
      'GET /api/v1/trips/:tripId': { check: (_cell, { body }) => expect(body.id).toBe(params.tripId) },
      'GET /api/v1/trips/:tripId/route': {
        check: (_cell, { body }) => expect(body).toMatchObject({ type: 'Feature' }),
      },
      'POST /api/v1/trips/:tripId/park': {
        state: tripState,
        check: (_cell, { body }) => expect(body.status).toBe('parked'),
      },
      'POST /api/v1/trips/:tripId/resume': {
        state: tripState,
        check: (_cell, { body }) => expect(body.status).toBe('active'),
      },
      'POST /api/v1/trips/:tripId/end': {
        state: tripState,
        check: (_cell, { body }) => expect(body.status).toBe('completed'),
      },
      'POST /api/v1/reservations': {
        body: () => ({ vehicleId: 'SEC-RES' }),
        state: async () => (await vehicle('SEC-RES')).state,
        after: async ({ who }, { status, body }) => {
          if (status !== 201) return;
          if (who === 'driverA') activeReservation = body.id as string;
          // B's own reservation: cancelled again, so that B holds nothing and A can have the car.
          else expect((await as(who, 'DELETE', `/reservations/${body.id as string}`)).status).toBe(200);
        },
      },
      'DELETE /api/v1/reservations/:reservationId': {
        prepare: async () => ({ reservationId: await reservationOfA() }),
        state: ({ values }) => reservationStatus(values.reservationId),
        after: async (_cell, { status }) => {
          if (status === 200) activeReservation = undefined;
        },
        check: (_cell, { body }) => expect(body.status).toBe('cancelled'),
      },
      'POST /api/v1/trips': {
        prepare: async () => ({ reservationId: await reservationOfA() }),
        body: ({ values }) => ({ reservationId: values.reservationId }),
        state: async ({ values }) => [
          await reservationStatus(values.reservationId),
          commandsOf(reservableCar),
        ],
        after: async ({ who }, { status, body }) => {
          if (who !== 'driverA' || status !== 201) return;
          activeReservation = undefined;
          // A ends it at once: A holds nothing after the matrix.
          expect((await as('driverA', 'POST', `/trips/${body.id as string}/end`)).status).toBe(200);
        },
      },
      'POST /api/v1/vehicles': {
        body: ({ who }) => ({
          id: `SEC-NEW-${who}`,
          plate: 'B-SC 9',
          model: 'Renault Zoe',
          propulsion: 'electric',
        }),
        state: async ({ who }) => (await call(setup, 'GET', `/vehicles/SEC-NEW-${who}`)).status,
        check: ({ who }, { body }) => expect(body.mqtt).toMatchObject({ username: `SEC-NEW-${who}` }),
      },
      'PATCH /api/v1/vehicles/:spareVehicleId': {
        // Each call asks for the other status, so that each allowed one changes it.
        prepare: async () => ({
          status: (await vehicle('SEC-SPARE')).operationalStatus === 'maintenance' ? 'active' : 'maintenance',
        }),
        body: ({ values }) => ({ operationalStatus: values.status }),
        state: async () => (await vehicle('SEC-SPARE')).operationalStatus,
        check: ({ values }, { body }) => expect(body.operationalStatus).toBe(values.status),
      },
      'POST /api/v1/vehicles/:honkVehicleId/commands': {
        body: () => ({ type: 'honk' }),
        state: async () => commandsOf(honkCar),
        check: ({ before }, { body }) => {
          expect(body).toMatchObject({ type: 'honk', status: 'succeeded' });
          expect(commandsOf(honkCar)).toEqual([...(before as string[]), 'honk']);
        },
      },
      'POST /api/v1/vehicles/:immobilizeVehicleId/commands': {
        body: ({ who }) => ({ type: 'immobilize', reason: reasonOf('reported stolen', who) }),
        state: async () => commandsOf(immobilizeCar),
        check: ({ before }, { body }) => {
          expect(body).toMatchObject({ type: 'immobilize', status: 'succeeded' });
          expect(commandsOf(immobilizeCar)).toEqual([...(before as string[]), 'immobilize']);
        },
      },
      'POST /api/v1/vehicles/:unlockVehicleId/commands': {
        body: () => ({ type: 'unlock' }),
        state: async () => [commandsOf(immobilizeCar), immobilizeCar.locked],
      },
      'POST /api/v1/vehicles/:credentialsVehicleId/credentials': {
        body: ({ who }) => ({ reason: reasonOf('telematics box replaced', who) }),
        state: async () =>
          (await q(`SELECT mqtt_password_hash AS hash FROM vehicles WHERE id = 'SEC-CRED'`))[0],
        check: async (_cell, { body }) => {
          const mqtt = body.mqtt as { username: string; password: string };
          expect(body.vehicleId).toBe('SEC-CRED');
          expect(mqtt.username).toBe('SEC-CRED');
          const [{ hash }] = await q<{ hash: string }>(
            `SELECT mqtt_password_hash AS hash FROM vehicles WHERE id = 'SEC-CRED'`,
          );
          expect(verifyMqttPassword(mqtt.password, hash)).toBe(true);
        },
      },
      'POST /api/v1/zones': {
        body: ({ who }) => ({ name: `zone of ${who}`, kind: 'no_parking', geometry: tinySquare(10) }),
        state: async () => (await zoneIds()).length,
        after: async (_cell, { status, body }) => {
          if (status === 201) await call(setup, 'DELETE', `/zones/${body.id as string}`);
        },
      },
      'DELETE /api/v1/zones/:zoneId': {
        prepare: async () => {
          if (!spareZone) {
            const zone = await call(setup, 'POST', '/zones', {
              name: 'to delete',
              kind: 'no_parking',
              geometry: tinySquare(11),
            });
            spareZone = zone.body.id as string;
          }
          return { zoneId: spareZone };
        },
        state: async ({ values }) => (await zoneIds()).includes(values.zoneId),
        after: async (_cell, { status }) => {
          if (status === 204) spareZone = undefined;
        },
      },
      'GET /api/v1/staff': {
        check: (_cell, { body }) => {
          expect(body.items).toEqual(
            expect.arrayContaining([expect.objectContaining({ email: TEST_OPERATOR.email, role: 'admin' })]),
          );
          expect(body).toHaveProperty('nextCursor');
        },
      },
      'POST /api/v1/staff': {
        body: ({ who }) => ({ email: `invited-by-${who}@fleet.test`, name: 'Grace', role: 'service_agent' }),
        state: async ({ who }) => {
          const email = `invited-by-${who}@fleet.test`;
          const [{ n }] = await q<{ n: number }>(
            `SELECT count(*)::int AS n FROM users WHERE email = lower($1)`,
            [email],
          );
          return { accounts: n, mails: await mailsTo(email) };
        },
        check: async ({ who }, { body }) => {
          expect(body).toMatchObject({
            role: 'service_agent',
            status: 'invited',
            invitationExpiresAt: expect.any(String),
          });
          const letter = await mail.waitForMail(`invited-by-${who}@fleet.test`, 'choose your password');
          expect(letter.text).toMatch(/set-password=[\w-]+/);
        },
      },
      'PATCH /api/v1/staff/:staffId': {
        // A member of their own for each call: a block ends the member's sessions.
        prepare: async () => {
          const member = await newStaff('support');
          return { staffId: member.userId, memberToken: member.token };
        },
        body: ({ who }) => ({ blocked: true, reason: reasonOf('badge lost', who) }),
        state: ({ values }) => account(values.staffId),
        check: async ({ who, values }, { body }) => {
          expect(body).toMatchObject({
            id: values.staffId,
            status: 'blocked',
            blockedReason: reasonOf('badge lost', who),
          });
          await sessionEnded(known.get(values.memberToken)!);
        },
      },
      'GET /api/v1/audit': {
        check: (_cell, { body }) => {
          expect(body.items).toEqual(expect.any(Array));
          expect(body).toHaveProperty('nextCursor');
        },
      },
    };

    beforeAll(async () => {
      const orphans = Object.keys(DETAILS).filter((k) => !MATRIX.some((r) => labelOf(r) === k));
      expect(orphans).toEqual([]);
      await send('POST', '/api/v1/auth/register', {
        body: { ...LOGIN_USER, name: 'Login' },
      });
      const tripCar = await addCar('SEC-TRIP', 0);
      reservableCar = await addCar('SEC-RES', 300);
      honkCar = await addCar('SEC-HONK', 600);
      immobilizeCar = await addCar('SEC-IMMO', 900);
      for (const id of ['SEC-SPARE', 'SEC-CRED']) {
        const spare = await call(setup, 'POST', '/vehicles', {
          id,
          plate: 'B-SC 0',
          model: 'VW ID.3',
          propulsion: 'electric',
        });
        expect(spare.status).toBe(201);
      }

      // Driver A's reservation, made a trip: A owns both (the reservation is then "converted").
      const reservation = await as('driverA', 'POST', '/reservations', { vehicleId: 'SEC-TRIP' });
      expect(reservation.status).toBe(201);
      params.tripReservationId = reservation.body.id as string;
      const trip = await as('driverA', 'POST', '/trips', { reservationId: params.tripReservationId });
      expect(trip.status).toBe(201);
      params.tripId = trip.body.id as string;
      expect(commandsOf(tripCar)).toEqual(['unlock']);
      await tripCar.publishSample();

      const [{ id }] = await q<{ id: string }>(`SELECT coalesce(max(id), 0)::text AS id FROM audit_log`);
      auditBefore = Number(id);
      matrixStart = new Date();
      ledger = [];
    }, 60_000);

    for (const r of MATRIX) {
      const { method, path, expected } = r;
      for (const who of RUN_ORDER) {
        const status = expected[who];
        it(`${method} ${path} as ${who}: ${status}`, async () => {
          const details = DETAILS[labelOf(r)] ?? {};
          const writes = method !== 'GET';
          if (writes && !details.state) throw new Error(`${labelOf(r)} writes, but has no state to check`);
          const session = details.fresh
            ? await freshSession(who, details.fresh)
            : who === 'anonymous'
              ? undefined
              : sessions[who];
          const cell: Cell = { who, session, values: { ...params } };
          Object.assign(cell.values, await details.prepare?.(cell));
          const url = path.replace(/:(\w+)/g, (_, name: string) => cell.values[name]) + (details.query ?? '');
          cell.before = await details.state?.(cell);

          const answer = await send(method, url, {
            authorization: session && `Bearer ${session.token}`,
            body: details.body?.(cell),
          });
          made.push({ who, session, key: keyOf(r), status: answer.status });
          const stateAfter = await details.state?.(cell);
          await details.after?.(cell, answer);

          expect({ status: answer.status, body: answer.body }).toMatchObject({ status });
          const code = {
            400: 'VALIDATION_FAILED',
            401: 'UNAUTHORIZED',
            403: 'FORBIDDEN',
          }[status];
          if (code) expect(answer.body.code).toBe(code);
          if (status === 404) expect(answer.body.code).toMatch(/_NOT_FOUND$/);
          if (status >= 400) {
            expect(stateAfter).toEqual(cell.before);
          } else {
            // The state read shows the write: a refused call's unchanged state proves something.
            if (writes) expect(stateAfter).not.toEqual(cell.before);
            await details.check?.(cell, answer);
          }
        });
      }
    }

    it('wrote the audit log for exactly the staff writes the guard let through, with their reasons; none for a call it refused', async () => {
      const calls = ledger!;
      ledger = undefined;
      const unknownTokens = calls.filter((c) => c.token !== undefined && !known.has(c.token));
      expect(unknownTokens).toEqual([]);
      // What the audit interceptor records: each write by staff on a route that is not public and
      // whose row lets the role in (the guard runs first), with the answer's status.
      const expectedRows = calls.flatMap(({ token, method, path, status }) => {
        const session = token === undefined ? undefined : known.get(token);
        const key = tableKey(method, path);
        const permission = key === undefined ? undefined : PERMISSIONS[key];
        if (!session || !isStaff(session.role) || method === 'GET' || !permission) return [];
        if (permission.access === 'public' || status === 401 || !allows(permission.access, session.role))
          return [];
        return [`${session.userId} ${key} ${status}`];
      });

      interface Entry {
        id: string;
        actor: { id: string; role: string };
        action: string;
        vehicleId: string | null;
        reason: string | null;
        statusCode: number;
        detail: Record<string, unknown>;
      }
      const entries: Entry[] = [];
      const from = new Date(matrixStart.getTime() - 1000).toISOString();
      for (let cursor: string | null = null, page = 0; page === 0 || cursor !== null; page++) {
        const res = await as(
          'admin',
          'GET',
          `/audit?from=${from}&to=${new Date().toISOString()}&limit=100${cursor ? `&cursor=${cursor}` : ''}`,
        );
        expect(res.status).toBe(200);
        entries.push(...(res.body.items as Entry[]));
        cursor = res.body.nextCursor as string | null;
      }
      const inMatrix = entries.filter((e) => Number(e.id) > auditBefore);
      expect(inMatrix.map((e) => `${e.actor.id} ${e.action} ${e.statusCode}`).sort()).toEqual(
        expectedRows.sort(),
      );

      // The reasons of the writes that need one.
      const rowsOf = (action: string, vehicleId: string) =>
        inMatrix
          .filter((e) => e.action === action && e.vehicleId === vehicleId)
          .map((e) => ({ role: e.actor.role, status: e.statusCode, reason: e.reason, type: e.detail.type }))
          .sort((a, b) => `${a.role} ${String(a.type)}`.localeCompare(`${b.role} ${String(b.type)}`));
      expect(rowsOf('POST /vehicles/:id/credentials', 'SEC-CRED')).toEqual(
        (['admin', 'fleet_manager'] as const).map((role) => ({
          role,
          status: 201,
          reason: reasonOf('telematics box replaced', role),
          type: undefined,
        })),
      );
      // Immobilize: by those it is for, and the refusals COMMAND_PERMISSIONS makes after the guard.
      expect(rowsOf('POST /vehicles/:id/commands', 'SEC-IMMO')).toEqual(
        (['admin', 'fleet_manager', 'service_agent', 'support'] as const).flatMap((role) => {
          const immobilize = {
            role,
            status: COMMAND_PERMISSIONS.immobilize.includes(role) ? 201 : 403,
            reason: reasonOf('reported stolen', role),
            type: 'immobilize',
          };
          const unlockWithoutReason = { role, status: 400, reason: null, type: 'unlock' };
          return [immobilize, unlockWithoutReason];
        }),
      );
      // Nothing of what the guard refused: the matrix's 403s of staff on rows closed to their role.
      const refusedByGuard = made.filter(
        (m) =>
          m.session &&
          isStaff(m.session.role) &&
          m.key in PERMISSIONS &&
          !allows(PERMISSIONS[m.key].access, m.session.role),
      );
      expect(refusedByGuard.length).toBeGreaterThan(20);
      const leaked = refusedByGuard.filter((m) =>
        inMatrix.some((e) => e.actor.id === m.session!.userId && e.action === m.key),
      );
      expect(leaked).toEqual([]);
    });

    it('has a state to check on every row that writes', () => {
      const missing = MATRIX.filter((r) => r.method !== 'GET' && !DETAILS[labelOf(r)]?.state).map(labelOf);
      expect(missing).toEqual([]);
    });

    it('agrees with the permission table: each caller passes or is refused as PERMISSIONS (and COMMAND_PERMISSIONS) say', () => {
      const disagreements: string[] = [];
      for (const r of MATRIX) {
        const key = keyOf(r);
        if (OUTSIDE_THE_TABLE.has(key)) continue;
        const permission = PERMISSIONS[key];
        if (!permission) {
          disagreements.push(`${labelOf(r)}: no row ${key} in PERMISSIONS`);
          continue;
        }
        const command = ROW_COMMANDS[labelOf(r)];
        for (const who of CALLERS) {
          const role = ROLE_OF[who];
          const passes =
            allows(permission.access, role) &&
            (command === undefined || (role !== null && COMMAND_PERMISSIONS[command].includes(role)));
          const refusal = role === null ? 401 : 403;
          const status = r.expected[who];
          // Allowed: anything but a refusal of access (ownership answers 404, validation 400).
          const agrees = passes ? status !== 401 && status !== 403 : status === refusal;
          if (!agrees) {
            disagreements.push(
              `${labelOf(r)} as ${who}: ${status}; the table says ${passes ? 'allowed' : refusal}`,
            );
          }
        }
      }
      expect(disagreements).toEqual([]);
    });

    it('has a row for every key of the booking API in PERMISSIONS, and a key for every row', () => {
      const rowKeys = new Set(MATRIX.map(keyOf));
      const apiKeys = Object.keys(PERMISSIONS).filter((k) => !k.startsWith('SOCKET '));
      expect(apiKeys.filter((k) => !rowKeys.has(k))).toEqual([]);
      expect([...rowKeys].filter((k) => !(k in PERMISSIONS) && !OUTSIDE_THE_TABLE.has(k))).toEqual([]);
      // Each commands row names its command; the others none.
      const commandRows = MATRIX.filter((r) => keyOf(r) === 'POST /vehicles/:id/commands').map(labelOf);
      expect(commandRows.sort()).toEqual(Object.keys(ROW_COMMANDS).sort());
    });

    it('has a row for every operation of the OpenAPI document', async () => {
      const doc = (await send('GET', '/api/docs-json')).body as { paths: Record<string, object> };
      const shape = (method: string, path: string) =>
        `${method.toUpperCase()} ${path.replace(/\{\w+\}|:\w+/g, '{}')}`;
      const documented = Object.entries(doc.paths).flatMap(([path, operations]) =>
        Object.keys(operations).map((method) => shape(method, path)),
      );
      const inMatrix = new Set(MATRIX.map((r) => shape(r.method, r.path)));
      expect(documented.filter((op) => !inMatrix.has(op))).toEqual([]);
      expect(documented.length).toBeGreaterThan(35);
    });

    it("answers another driver's ids exactly as ids that do not exist (no existence leak)", async () => {
      const unknown = randomUUID();
      for (const [method, path] of [
        ['GET', `/trips/:id`],
        ['GET', `/trips/:id/route`],
        ['POST', `/trips/:id/park`],
        ['POST', `/trips/:id/end`],
      ]) {
        const foreign = await as('driverB', method, path.replace(':id', params.tripId));
        const missing = await as('driverB', method, path.replace(':id', unknown));
        expect([method, path, foreign]).toEqual([method, path, missing]);
        expect(foreign.status).toBe(404);
      }
      const foreign = await as('driverB', 'GET', `/reservations/${params.tripReservationId}`);
      expect(foreign).toEqual(await as('driverB', 'GET', `/reservations/${unknown}`));
      expect(foreign.status).toBe(404);
    });

    it('refuses a self-chosen role at registration: 400, and nobody becomes staff', async () => {
      const res = await send('POST', '/api/v1/auth/register', {
        body: { email: 'mallory@example.com', password: DRIVER_PASSWORD, name: 'M', role: 'admin' },
      });
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      const login = await send('POST', '/api/v1/auth/login', {
        body: { email: 'mallory@example.com', password: DRIVER_PASSWORD },
      });
      expect(login.status).toBe(401);
      expect(await q(`SELECT role FROM users WHERE email = 'mallory@example.com'`)).toEqual([]);
    });
  });

  describe("the live map's handshake (SOCKET /live): every caller", () => {
    const EXPECTED: Record<Who, string> = {
      anonymous: 'UNAUTHORIZED',
      driverA: 'FORBIDDEN',
      driverB: 'FORBIDDEN',
      service_agent: 'connected',
      support: 'connected',
      fleet_manager: 'connected',
      admin: 'connected',
    };

    it('agrees with the permission table', () => {
      const { access } = PERMISSIONS['SOCKET /live'];
      const fromTable = (who: Who) =>
        allows(access, ROLE_OF[who]) ? 'connected' : ROLE_OF[who] === null ? 'UNAUTHORIZED' : 'FORBIDDEN';
      expect(CALLERS.map((who) => [who, EXPECTED[who]])).toEqual(CALLERS.map((who) => [who, fromTable(who)]));
    });

    for (const who of CALLERS) {
      it(`as ${who}: ${EXPECTED[who]}`, async () => {
        expect(await handshake(who === 'anonymous' ? undefined : sessions[who].token)).toBe(EXPECTED[who]);
      });
    }
  });

  describe('refusals beyond the table: each answered as CONTRACT.md 5 says, and nothing changed', () => {
    it("DELETE /me during a booking: 409 DRIVER_HAS_ACTIVE_BOOKING, the driver's account and reservation as they were", async () => {
      const driver = await newDriver();
      const reservation = await call(driver, 'POST', '/reservations', { vehicleId: 'SEC-RES' });
      expect(reservation.status).toBe(201);
      const before = await account(driver.userId);
      const res = await call(driver, 'DELETE', '/me');
      expect({ status: res.status, code: res.body.code }).toEqual({
        status: 409,
        code: 'DRIVER_HAS_ACTIVE_BOOKING',
      });
      expect(await account(driver.userId)).toEqual(before);
      const id = reservation.body.id as string;
      expect((await call(driver, 'GET', `/reservations/${id}`)).body.status).toBe('active');
      expect((await call(driver, 'DELETE', `/reservations/${id}`)).status).toBe(200);
    });

    it("PATCH /staff/:id on the admin's own account: 409 OWN_ACCOUNT, role and sessions as they were", async () => {
      const before = await account(sessions.admin.userId);
      for (const change of [{ role: 'support' }, { blocked: true, reason: 'testing myself' }]) {
        const res = await as('admin', 'PATCH', `/staff/${sessions.admin.userId}`, change);
        expect({ status: res.status, code: res.body.code }).toEqual({ status: 409, code: 'OWN_ACCOUNT' });
      }
      expect(await account(sessions.admin.userId)).toEqual(before);
      expect((await as('admin', 'GET', '/me')).status).toBe(200);
    });

    it('POST /auth/password with a token that is no link, or a link used before: 400 INVALID_LINK, the password as it was', async () => {
      const bad = await send('POST', '/api/v1/auth/password', {
        body: { token: randomBytes(32).toString('base64url'), password: 'whatever-123' },
      });
      expect({ status: bad.status, code: bad.body.code }).toEqual({ status: 400, code: 'INVALID_LINK' });

      const email = `invited-twice-${unique()}@fleet.test`;
      const { userId, token } = await invite(email);
      const first = await send('POST', '/api/v1/auth/password', {
        body: { token, password: 'first-password' },
      });
      expect(first.status).toBe(200);
      const before = await account(userId);
      const again = await send('POST', '/api/v1/auth/password', {
        body: { token, password: 'second-password' },
      });
      expect({ status: again.status, code: again.body.code }).toEqual({ status: 400, code: 'INVALID_LINK' });
      expect(await account(userId)).toEqual(before);
      expect(
        (await send('POST', '/api/v1/auth/login', { body: { email, password: 'first-password' } })).status,
      ).toBe(200);
    });

    it('POST /me/mfa/totp/verify before enrolment: 409 MFA_NOT_STARTED; with a wrong code: 422 INVALID_MFA_CODE; TOTP not enrolled', async () => {
      const member = await newStaff('fleet_manager');
      const early = await call(member, 'POST', '/me/mfa/totp/verify', { code: '123456' });
      expect({ status: early.status, code: early.body.code }).toEqual({
        status: 409,
        code: 'MFA_NOT_STARTED',
      });
      const enrolment = await call(member, 'POST', '/me/mfa/totp');
      expect(enrolment.status).toBe(201);
      const before = await account(member.userId);
      const right = totpCode(enrolment.body.secret as string);
      const wrong = String((Number(right) + 500_000) % 1_000_000).padStart(6, '0');
      const res = await call(member, 'POST', '/me/mfa/totp/verify', { code: wrong });
      expect({ status: res.status, code: res.body.code }).toEqual({ status: 422, code: 'INVALID_MFA_CODE' });
      expect(await account(member.userId)).toEqual(before);
      expect(before).toMatchObject({ totpStarted: true, totpEnrolled: false, recoveryCodes: 0 });
    });

    it('POST /auth/refresh with a refresh token used before: 401 SESSION_REVOKED, and the session is ended', async () => {
      const { session, refreshToken } = await login(sessions.driverA.email, DRIVER_PASSWORD);
      const rotated = await send('POST', '/api/v1/auth/refresh', { body: { refreshToken } });
      expect(rotated.status).toBe(200);
      const reuse = await send('POST', '/api/v1/auth/refresh', { body: { refreshToken } });
      expect({ status: reuse.status, code: reuse.body.code }).toEqual({
        status: 401,
        code: 'SESSION_REVOKED',
      });
      const renewed = await send('POST', '/api/v1/auth/refresh', {
        body: { refreshToken: rotated.body.refreshToken },
      });
      expect({ status: renewed.status, code: renewed.body.code }).toEqual({
        status: 401,
        code: 'SESSION_REVOKED',
      });
      expect((await call(session, 'GET', '/me')).status).toBe(401);
      expect((await as('driverA', 'GET', '/me')).status).toBe(200);
    });

    const reasons: [string, unknown][] = [
      ['without a reason', undefined],
      ['with a reason under 3 characters', 'no'],
      ['with a reason over 500 characters', 'x'.repeat(501)],
    ];
    for (const [name, reason] of reasons) {
      it(`unlock and immobilize ${name}: 400 VALIDATION_FAILED naming reason, and the car hears nothing`, async () => {
        const before = commandsOf(immobilizeCar);
        for (const type of ['unlock', 'immobilize']) {
          const res = await as('admin', 'POST', '/vehicles/SEC-IMMO/commands', { type, reason });
          expect({ status: res.status, code: res.body.code }).toEqual({
            status: 400,
            code: 'VALIDATION_FAILED',
          });
          expect(res.body.fields).toEqual([{ field: 'reason', problems: expect.any(Array) }]);
        }
        await sleep(300);
        expect(commandsOf(immobilizeCar)).toEqual(before);
      });

      it(`credential re-issue ${name}: 400 VALIDATION_FAILED naming reason, the password as it was`, async () => {
        const hash = async () =>
          (await q(`SELECT mqtt_password_hash AS h FROM vehicles WHERE id = 'SEC-CRED'`))[0];
        const before = await hash();
        const res = await as('fleet_manager', 'POST', '/vehicles/SEC-CRED/credentials', { reason });
        expect({ status: res.status, code: res.body.code }).toEqual({
          status: 400,
          code: 'VALIDATION_FAILED',
        });
        expect(res.body.fields).toEqual([{ field: 'reason', problems: expect.any(Array) }]);
        expect(await hash()).toEqual(before);
      });
    }
  });

  describe("a driver's commands reach only the car of the driver's own booking", () => {
    let carA: SimulatedCar;
    let secondCar: SimulatedCar;

    beforeAll(async () => {
      carA = await addCar('CMD-A', 1200);
      secondCar = await addCar('CMD-2', 1500);
    }, 60_000);

    it("driver B cannot start, unlock, lock or end A's reservation or trip, and A's car hears nothing of it; A's own unlock and lock reach A's car only", async () => {
      const reservation = await as('driverA', 'POST', '/reservations', { vehicleId: 'CMD-A' });
      expect(reservation.status).toBe(201);
      const reservationId = reservation.body.id as string;

      const attempts: [Who, string, string, unknown, number, string][] = [
        ['driverB', 'POST', '/trips', { reservationId }, 404, 'RESERVATION_NOT_FOUND'],
        ['driverB', 'DELETE', `/reservations/${reservationId}`, undefined, 404, 'RESERVATION_NOT_FOUND'],
        ['driverB', 'POST', '/trips', { vehicleId: 'CMD-A' }, 409, 'VEHICLE_UNAVAILABLE'],
        ['driverB', 'POST', '/reservations', { vehicleId: 'CMD-A' }, 409, 'VEHICLE_UNAVAILABLE'],
        [
          'driverB',
          'POST',
          '/vehicles/CMD-A/commands',
          { type: 'unlock', reason: 'let me in' },
          403,
          'FORBIDDEN',
        ],
        ['admin', 'POST', '/trips', { reservationId }, 403, 'FORBIDDEN'],
      ];
      for (const [who, method, path, body, status, code] of attempts) {
        const res = await as(who, method, path, body);
        expect([who, method, path, res.status, res.body.code]).toEqual([who, method, path, status, code]);
      }
      expect((await as('driverA', 'GET', `/reservations/${reservationId}`)).body.status).toBe('active');
      expect(carA.locked).toBe(true);
      expect(commandsOf(carA)).toEqual([]);

      const trip = await as('driverA', 'POST', '/trips', { reservationId });
      expect(trip.status).toBe(201);
      const tripId = trip.body.id as string;
      expect(commandsOf(carA)).toEqual(['unlock']);
      expect(carA.locked).toBe(false);
      expect(commandsOf(secondCar)).toEqual([]);

      const onTrip: [Who, string, string, unknown, number, string][] = [
        ['driverB', 'POST', `/trips/${tripId}/park`, undefined, 404, 'TRIP_NOT_FOUND'],
        ['driverB', 'POST', `/trips/${tripId}/resume`, undefined, 404, 'TRIP_NOT_FOUND'],
        ['driverB', 'POST', `/trips/${tripId}/end`, undefined, 404, 'TRIP_NOT_FOUND'],
        ['driverB', 'POST', '/trips', { vehicleId: 'CMD-A' }, 409, 'VEHICLE_UNAVAILABLE'],
        ['driverB', 'POST', '/vehicles/CMD-A/commands', { type: 'lock' }, 403, 'FORBIDDEN'],
        [
          'driverB',
          'POST',
          '/vehicles/CMD-A/commands',
          { type: 'immobilize', reason: 'mine now' },
          403,
          'FORBIDDEN',
        ],
        [
          'driverA',
          'POST',
          '/vehicles/CMD-2/commands',
          { type: 'unlock', reason: 'my friend' },
          403,
          'FORBIDDEN',
        ],
        ['admin', 'POST', `/trips/${tripId}/park`, undefined, 403, 'FORBIDDEN'],
        ['admin', 'POST', `/trips/${tripId}/end`, undefined, 403, 'FORBIDDEN'],
        [
          'support',
          'POST',
          '/vehicles/CMD-A/commands',
          { type: 'immobilize', reason: 'on a trip' },
          403,
          'FORBIDDEN',
        ],
      ];
      for (const [who, method, path, body, status, code] of onTrip) {
        const res = await as(who, method, path, body);
        expect([who, method, path, res.status, res.body.code]).toEqual([who, method, path, status, code]);
      }
      // A command would have been sent before any of those answers; a moment for a stray one to arrive.
      await sleep(500);
      expect(commandsOf(carA)).toEqual(['unlock']);
      expect(carA.locked).toBe(false);
      expect(commandsOf(secondCar)).toEqual([]);
      expect((await as('driverA', 'GET', `/trips/${tripId}`)).body.status).toBe('active');

      const ended = await as('driverA', 'POST', `/trips/${tripId}/end`);
      expect(ended.status).toBe(200);
      expect(commandsOf(carA)).toEqual(['unlock', 'lock']);
      expect(commandsOf(secondCar)).toEqual([]);
    });

    it("driver B's own trip unlocks and locks B's car only", async () => {
      const trip = await as('driverB', 'POST', '/trips', { vehicleId: 'CMD-2' });
      expect(trip.status).toBe(201);
      expect(commandsOf(secondCar)).toEqual(['unlock']);
      const ended = await as('driverB', 'POST', `/trips/${trip.body.id as string}/end`);
      expect(ended.status).toBe(200);
      expect(commandsOf(secondCar)).toEqual(['unlock', 'lock']);
      expect(commandsOf(carA)).toEqual(['unlock', 'lock']);
    });

    it("an Idempotency-Key is the driver's own: B repeating A's key does not get A's reservation", async () => {
      const key = `key-${randomUUID()}`;
      const reserve = (who: 'driverA' | 'driverB') =>
        send('POST', '/api/v1/reservations', {
          authorization: `Bearer ${sessions[who].token}`,
          body: { vehicleId: 'CMD-A' },
          headers: { 'idempotency-key': key },
        });
      const first = await reserve('driverA');
      expect(first.status).toBe(201);
      const replay = await reserve('driverB');
      expect(replay.status).toBe(409);
      expect(replay.body).toMatchObject({ code: 'VEHICLE_UNAVAILABLE' });
      expect(replay.body.id).toBeUndefined();
      expect((await as('driverA', 'DELETE', `/reservations/${first.body.id as string}`)).status).toBe(200);
    });
  });

  /** The forgeries' material: the key, the admin's session, a session logged out, driver A's token. */
  async function tokenKit(): Promise<TokenKit> {
    const subject = (s: Session): TokenSubject => ({
      userId: s.userId,
      sessionId: s.sessionId,
      email: s.email,
      role: s.role,
    });
    const ended = await newStaff('admin');
    expect((await call(ended, 'POST', '/auth/logout')).status).toBe(204);
    return {
      secret: JWT_SECRET,
      issuer: JWT_ISSUER,
      audience: JWT_AUDIENCE,
      admin: subject(sessions.admin),
      ended: subject(ended),
      driverA: sessions.driverA.token,
    };
  }

  describe('forged and malformed tokens: 401 from the API', () => {
    let kit: TokenKit;
    /** A route for anyone signed in and a staff route. */
    const ENDPOINTS = [
      { kind: 'signed-in endpoint', path: '/api/v1/me/trips' },
      { kind: 'staff endpoint', path: '/api/v1/vehicles' },
    ];

    beforeAll(async () => {
      kit = await tokenKit();
    });

    // Controls: tokens made by the same hand with the right key pass, so each 401 below is its defect's.
    it.each(ENDPOINTS)('accepts a hand-made, correctly signed admin token on the $kind', async ({ path }) => {
      const res = await send('GET', path, {
        authorization: `Bearer ${jwt(adminClaims(kit), JWT_SECRET)}`,
      });
      expect(res.status).toBe(200);
    });

    for (const { kind, path } of ENDPOINTS) {
      for (const forged of FORGED_TOKENS) {
        const code = forged.code ?? 'UNAUTHORIZED';
        it(`${kind} GET ${path}: ${forged.name}: 401 ${code}`, async () => {
          const res = await send('GET', path, { authorization: `Bearer ${forged.token(kit)}` });
          expect({ status: res.status, code: res.body.code }).toEqual({ status: 401, code });
        });
      }
      const headers: [string, () => string][] = [
        ['a valid token without "Bearer"', () => sessions.admin.token],
        ['a valid token under the Basic scheme', () => `Basic ${sessions.admin.token}`],
        ['"Bearer" without a token', () => 'Bearer '],
      ];
      for (const [name, authorization] of headers) {
        it(`${kind} GET ${path}: ${name}: 401`, async () => {
          const res = await send('GET', path, { authorization: authorization() });
          expect({ status: res.status, code: res.body.code }).toEqual({ status: 401, code: 'UNAUTHORIZED' });
        });
      }
    }
  });

  describe('forged tokens: the live map refuses the socket handshake (namespace /live)', () => {
    let kit: TokenKit;

    beforeAll(async () => {
      kit = await tokenKit();
    });

    it('connects with a hand-made, correctly signed admin token (the control)', async () => {
      expect(await handshake(jwt(adminClaims(kit), JWT_SECRET))).toBe('connected');
    });

    for (const forged of FORGED_TOKENS) {
      it(`${forged.name}: UNAUTHORIZED`, async () => {
        expect(await handshake(forged.token(kit))).toBe('UNAUTHORIZED');
      });
    }
  });

  /**
   * Client input PostgreSQL cannot store (a NUL character, U+0000, which it refuses with "invalid byte
   * sequence for encoding UTF8: 0x00"; an unpaired surrogate, which would be stored as U+FFFD), path ids
   * that cannot exist, and bodies the body parser refuses: once each a 500 with a stack logged at
   * ERROR, the first ones without any token. Now a client error that writes nothing and logs nothing:
   * 400 VALIDATION_FAILED naming the field for bodies and query strings (refused before any DTO rule,
   * so no such string reaches a query), 404 VEHICLE_NOT_FOUND for a vehicle id outside the id pattern
   * (as for any other impossible id: no vehicle can have it, the table's CHECK says so), 413 and 400
   * MALFORMED_JSON from the body parser. A staff write among them is still recorded in the audit log,
   * its unstorable text as U+FFFD.
   */
  describe('client input PostgreSQL or the body parser refuses: a client error, nothing written or logged', () => {
    const NUL = '\u0000';
    const square = {
      type: 'Polygon',
      coordinates: [
        [
          [12, 50],
          [12.001, 50],
          [12.001, 50.001],
          [12, 50.001],
          [12, 50],
        ],
      ],
    };
    interface Case {
      name: string;
      who: Who;
      method: string;
      path: string;
      body?: unknown;
      rawBody?: string;
      status: number;
      code: string;
      /** The field a VALIDATION_FAILED answer names, and a word its problem has. */
      field?: [string, string];
    }
    const cases: Case[] = [
      {
        name: 'a NUL character in the name at registration',
        who: 'anonymous',
        method: 'POST',
        path: '/api/v1/auth/register',
        body: { email: 'nul@example.com', password: 'password-123', name: `a${NUL}b` },
        status: 400,
        code: 'VALIDATION_FAILED',
        field: ['name', 'U+0000'],
      },
      {
        name: 'a NUL character in the password at login',
        who: 'anonymous',
        method: 'POST',
        path: '/api/v1/auth/login',
        body: { email: TEST_OPERATOR.email, password: `${TEST_OPERATOR.password}${NUL}` },
        status: 400,
        code: 'VALIDATION_FAILED',
        field: ['password', 'U+0000'],
      },
      {
        name: 'a body over the size limit (200 kB)',
        who: 'anonymous',
        method: 'POST',
        path: '/api/v1/auth/register',
        body: { email: 'big@example.com', password: 'password-123', name: 'x'.repeat(200_000) },
        status: 413,
        code: 'PAYLOAD_TOO_LARGE',
      },
      {
        name: 'a body that is not JSON',
        who: 'anonymous',
        method: 'POST',
        path: '/api/v1/auth/register',
        rawBody: '{',
        status: 400,
        code: 'MALFORMED_JSON',
      },
      {
        name: 'a NUL character as a vehicle id',
        who: 'admin',
        method: 'GET',
        path: '/api/v1/vehicles/%00',
        status: 404,
        code: 'VEHICLE_NOT_FOUND',
      },
      {
        name: 'a NUL character as the vehicle id of a status change',
        who: 'admin',
        method: 'PATCH',
        path: '/api/v1/vehicles/%00',
        body: { operationalStatus: 'maintenance' },
        status: 404,
        code: 'VEHICLE_NOT_FOUND',
      },
      {
        name: 'a NUL character as the vehicle id of a track',
        who: 'admin',
        method: 'GET',
        path: '/api/v1/vehicles/%00/track',
        status: 404,
        code: 'VEHICLE_NOT_FOUND',
      },
      {
        name: 'a NUL character as the vehicle id of a command',
        who: 'admin',
        method: 'POST',
        path: '/api/v1/vehicles/%00/commands',
        body: { type: 'honk' },
        status: 404,
        code: 'VEHICLE_NOT_FOUND',
      },
      {
        name: 'a NUL character as the paging cursor',
        who: 'admin',
        method: 'GET',
        path: '/api/v1/vehicles?after=%00',
        status: 400,
        code: 'VALIDATION_FAILED',
        field: ['after', 'U+0000'],
      },
      {
        name: 'a NUL character in a plate',
        who: 'admin',
        method: 'POST',
        path: '/api/v1/vehicles',
        body: { id: 'SEC-NUL', plate: `B${NUL}`, model: 'VW ID.3', propulsion: 'electric' },
        status: 400,
        code: 'VALIDATION_FAILED',
        field: ['plate', 'U+0000'],
      },
      {
        name: 'an unpaired surrogate in a plate',
        who: 'admin',
        method: 'POST',
        path: '/api/v1/vehicles',
        body: { id: 'SEC-SURROGATE', plate: 'B\ud800', model: 'VW ID.3', propulsion: 'electric' },
        status: 400,
        code: 'VALIDATION_FAILED',
        field: ['plate', 'surrogate'],
      },
      {
        name: 'a NUL character in a zone name',
        who: 'admin',
        method: 'POST',
        path: '/api/v1/zones',
        body: { name: `zone${NUL}`, kind: 'no_parking', geometry: square },
        status: 400,
        code: 'VALIDATION_FAILED',
        field: ['name', 'U+0000'],
      },
    ];

    /** What any of these requests could write. */
    const written = async () =>
      (
        await q(
          `SELECT (SELECT count(*) FROM users)::int AS users, (SELECT count(*) FROM vehicles)::int AS vehicles,
                  (SELECT count(*) FROM zones)::int AS zones, (SELECT count(*) FROM vehicle_commands)::int AS commands`,
        )
      )[0];
    /** Where the service's output and the audit log stood before these requests. */
    let logFrom = 0;
    let auditFrom = 0;
    beforeAll(async () => {
      logFrom = booking.output().length;
      auditFrom = Number(
        (await q<{ id: string }>(`SELECT coalesce(max(id), 0)::text AS id FROM audit_log`))[0].id,
      );
    });

    for (const { name, who, method, path, body, rawBody, status, code, field } of cases) {
      it(`${name}: ${method} ${path} as ${who} answers ${status} ${code}`, async () => {
        const before = await written();
        const res = await send(method, path, {
          authorization: who === 'anonymous' ? undefined : `Bearer ${sessions[who].token}`,
          body,
          rawBody,
        });
        expect({ status: res.status, code: res.body.code }).toEqual({ status, code });
        expect(res.body).toMatchObject({ statusCode: status, message: expect.any(String) });
        if (field) {
          expect(res.body.fields).toEqual([
            { field: field[0], problems: [expect.stringContaining(field[1])] },
          ]);
        }
        expect(await written()).toEqual(before);
      });
    }

    it("records the admin's refused writes in the audit log, unstorable text as U+FFFD", async () => {
      const rows = await q(
        `SELECT action, target, status_code AS "statusCode", detail FROM audit_log WHERE id > $1 ORDER BY id`,
        [auditFrom],
      );
      expect(rows).toEqual([
        {
          action: 'PATCH /vehicles/:id',
          target: '\ufffd',
          statusCode: 404,
          detail: { operationalStatus: 'maintenance' },
        },
        {
          action: 'POST /vehicles/:id/commands',
          target: '\ufffd',
          statusCode: 404,
          detail: { type: 'honk' },
        },
        expect.objectContaining({
          action: 'POST /vehicles',
          statusCode: 400,
          detail: expect.objectContaining({ plate: 'B\ufffd' }),
        }),
        expect.objectContaining({
          action: 'POST /vehicles',
          statusCode: 400,
          detail: expect.objectContaining({ plate: 'B\ufffd' }),
        }),
        expect.objectContaining({
          action: 'POST /zones',
          statusCode: 400,
          detail: expect.objectContaining({ name: 'zone\ufffd' }),
        }),
      ]);
    });

    it('logs no error and no stack trace for any of them', () => {
      const logged = booking.output().slice(logFrom);
      expect(logged).not.toMatch(/ERROR|\n\s+at /);
    });
  });
});
