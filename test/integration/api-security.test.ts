import { DEV_JWT_SECRET, TokenConfig } from '@fleet/auth';
import { SimulatedCar } from '@fleet/simulator';
import {
  createTestDatabase,
  freePort,
  MosquittoInstance,
  ServiceProcess,
  startMosquitto,
  startService,
  TestDatabase,
  waitFor,
} from '@fleet/testing';
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { io } from 'socket.io-client';
import { BERLIN_CENTRE, BookingApi } from './booking-api';
import { startBooking, startGateway, TEST_OPERATOR } from './platform';

/** The four callers of the matrix. Driver A owns a reservation and a trip; driver B owns nothing of A's. */
type Who = 'anonymous' | 'driverA' | 'driverB' | 'operator';

/**
 * The order a row's cells run in: the owner last, so that every refused attempt on A's reservation or
 * trip comes before A's own call, which may change it (park, end, cancel).
 */
const RUN_ORDER: readonly Who[] = ['anonymous', 'driverB', 'operator', 'driverA'];

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
  operator: number,
): Row => ({ method, path, expected: { anonymous, driverA, driverB, operator } });

/**
 * Every route of the booking service (its controllers, /health and the OpenAPI document) and the status
 * each caller gets. A driver's reservation and trip are visible to that driver and to operators, 404 to
 * other drivers (CONTRACT.md 2.3, 2.4: no existence leak); driver writes are the driver's own (operators
 * 403, as TripsController says); operator routes 403 to drivers (2.5); no token 401 wherever one is
 * needed. Operators may cancel a driver's reservation: the service allows it (CONTRACT.md is silent).
 */
// prettier-ignore
const MATRIX: readonly Row[] = [
  //   method    path                                           anonymous  driver A  driver B  operator
  // public
  row('GET',    '/health',                                         200,       200,      200,      200),
  row('GET',    '/api/docs-json',                                  200,       200,      200,      200),
  row('GET',    '/api/docs',                                       200,       200,      200,      200),
  row('POST',   '/api/v1/auth/register',                           201,       201,      201,      201),
  row('POST',   '/api/v1/auth/login',                              200,       200,      200,      200),
  row('GET',    '/api/v1/vehicles/nearby',                         200,       200,      200,      200),
  row('GET',    '/api/v1/zones',                                   200,       200,      200,      200),
  // open data (GBFS v3.0, CONTRACT.md 2.6)
  ...[
    'gbfs.json',
    'system_information.json',
    'vehicle_types.json',
    'vehicle_status.json',
    'geofencing_zones.json',
    'system_pricing_plans.json',
  ].map((file) => row('GET', `/api/v1/gbfs/${file}`,                200,       200,      200,      200)),
  // a driver's own, visible to operators
  row('GET',    '/api/v1/me/trips',                                401,       200,      200,      200),
  row('GET',    '/api/v1/reservations/:tripReservationId',         401,       200,      404,      200),
  row('GET',    '/api/v1/trips/:tripId',                           401,       200,      404,      200),
  row('GET',    '/api/v1/trips/:tripId/route',                     401,       200,      404,      200),
  // a driver's writes
  row('POST',   '/api/v1/trips/:tripId/park',                      401,       200,      404,      403),
  row('POST',   '/api/v1/trips/:tripId/resume',                    401,       200,      404,      403),
  row('POST',   '/api/v1/trips/:tripId/end',                       401,       200,      404,      403),
  row('POST',   '/api/v1/reservations',                            401,       201,      201,      403),
  row('DELETE', '/api/v1/reservations/:reservationId',             401,       200,      404,      200),
  row('POST',   '/api/v1/trips',                                   401,       201,      404,      403),
  // operators only
  row('POST',   '/api/v1/vehicles',                                401,       403,      403,      201),
  row('GET',    '/api/v1/vehicles',                                401,       403,      403,      200),
  row('GET',    '/api/v1/vehicles/:vehicleId',                     401,       403,      403,      200),
  row('PATCH',  '/api/v1/vehicles/:spareVehicleId',                401,       403,      403,      200),
  row('GET',    '/api/v1/vehicles/:vehicleId/track',               401,       403,      403,      200),
  row('POST',   '/api/v1/vehicles/:honkVehicleId/commands',        401,       403,      403,      201),
  row('GET',    '/api/v1/telemetry/rejects',                       401,       403,      403,      200),
  row('POST',   '/api/v1/zones',                                   401,       403,      403,      201),
  row('DELETE', '/api/v1/zones/:zoneId',                           401,       403,      403,      204),
];

/** How one row's calls are made beyond its method and path. */
interface RowDetails {
  query?: string;
  body?: (who: Who) => unknown;
  /** Path parameters made for this call, where a call of the row may use up the shared ones. */
  params?: (who: Who) => Promise<Record<string, string>>;
  /** What a refused call must leave as it was (read before and after it). */
  state?: (who: Who) => Promise<unknown>;
  /** Clean-up after the call, or keeps what it made for the next. Runs before the assertions. */
  after?: (who: Who, answer: Answer) => Promise<void>;
  /** More to check of an answer the caller was allowed. */
  check?: (who: Who, answer: Answer) => void;
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

/** What the forgeries are made from: the services' key and real tokens of the test's users. */
interface TokenKit {
  secret: string;
  issuer: string;
  audience: string;
  operatorId: string;
  driverA: string;
}

/** Valid claims of the test operator, `change`d; a token that omits nothing but its defect. */
function operatorClaims(kit: TokenKit, change: Record<string, unknown> = {}) {
  const now = Math.floor(Date.now() / 1000);
  return {
    sub: kit.operatorId,
    email: TEST_OPERATOR.email,
    role: 'operator',
    iss: kit.issuer,
    aud: kit.audience,
    iat: now,
    exp: now + 600,
    ...change,
  };
}

/** Tokens an attacker can make without the key. Each would be an operator's, were it accepted. */
const FORGED_TOKENS: readonly { name: string; token: (kit: TokenKit) => string }[] = [
  {
    name: 'alg "none", unsigned',
    token: (kit) => jwt(operatorClaims(kit), null, { alg: 'none', typ: 'JWT' }),
  },
  {
    name: 'signed with another key',
    token: (kit) => jwt(operatorClaims(kit), randomBytes(32).toString('hex')),
  },
  {
    name: 'signed with the development key (this deployment has its own)',
    token: (kit) => jwt(operatorClaims(kit), DEV_JWT_SECRET),
  },
  {
    name: 'HS512 with the right key (only HS256 is accepted)',
    token: (kit) => jwt(operatorClaims(kit), kit.secret, { alg: 'HS512', typ: 'JWT' }),
  },
  {
    name: 'for another audience',
    token: (kit) => jwt(operatorClaims(kit, { aud: 'another-api' }), kit.secret),
  },
  {
    name: 'from another issuer',
    token: (kit) => jwt(operatorClaims(kit, { iss: 'another-issuer' }), kit.secret),
  },
  {
    name: 'without audience and issuer',
    token: (kit) => jwt(operatorClaims(kit, { aud: undefined, iss: undefined }), kit.secret),
  },
  {
    name: 'expired a minute ago',
    token: (kit) => {
      const now = Math.floor(Date.now() / 1000);
      return jwt(operatorClaims(kit, { iat: now - 3660, exp: now - 60 }), kit.secret);
    },
  },
  {
    name: "driver A's token with its role edited to operator",
    token: (kit) => {
      const [header, , signature] = kit.driverA.split('.');
      const edited = { ...claimsOf(kit.driverA), role: 'operator' };
      return `${header}.${b64url(JSON.stringify(edited))}.${signature}`;
    },
  },
  {
    name: "driver A's token without its signature",
    token: (kit) => kit.driverA.split('.').slice(0, 2).join('.'),
  },
  { name: 'a garbage string', token: () => 'not-a-jwt' },
];

/**
 * The booking API's access control, end to end: the gateway, booking and live-map services as
 * processes on real PostgreSQL/PostGIS and Mosquitto; cars are simulated MQTT clients registered
 * through the operator API. Who may call what (the matrix), that a driver's commands reach only their
 * own car, and that forged tokens are refused by the API and the live map's socket handshake.
 */
describe('API security: access matrix, command isolation, forged tokens', () => {
  const JWT_SECRET = randomBytes(24).toString('hex');
  const { JWT_ISSUER, JWT_AUDIENCE } = new TokenConfig();
  const ALEX = { lat: 52.5219, lon: 13.4132 };
  let db: TestDatabase;
  let broker: MosquittoInstance;
  let gateway: ServiceProcess;
  let booking: ServiceProcess;
  let liveMap: ServiceProcess;
  let client: BookingApi;
  const cars: SimulatedCar[] = [];
  const tokens: Record<Who, string | undefined> = {
    anonymous: undefined,
    driverA: undefined,
    driverB: undefined,
    operator: undefined,
  };
  const token = (who: Exclude<Who, 'anonymous'>) => tokens[who]!;
  /** What the forged tokens are made from: the services' real settings and two real users. */
  const tokenKit = (): TokenKit => ({
    secret: JWT_SECRET,
    issuer: JWT_ISSUER,
    audience: JWT_AUDIENCE,
    operatorId: claimsOf(token('operator')).sub as string,
    driverA: token('driverA'),
  });

  /**
   * A request to the booking service; `path` is the URL path (the API's starts with /api/v1). `body` is
   * sent as JSON, `rawBody` as it is (with the JSON content type).
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
    return { status: res.status, body };
  }

  /** An API call as one of the callers. */
  const as = (who: Who, method: string, apiPath: string, body?: unknown) =>
    send(method, `/api/v1${apiPath}`, {
      authorization: tokens[who] && `Bearer ${tokens[who]}`,
      body,
    });

  /** Registers a car through the operator API; it connects with its credentials and reports once. */
  async function addCar(id: string, eastM: number): Promise<SimulatedCar> {
    const reg = await as('operator', 'POST', '/vehicles', {
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
      async () => (await as('operator', 'GET', `/vehicles/${id}`)).body.state === 'available',
      10_000,
      `${id} available`,
    );
    return car;
  }

  const commandsOf = (car: SimulatedCar) => car.receivedCommands.map((c) => c.type);
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  beforeAll(async () => {
    db = await createTestDatabase();
    broker = await startMosquitto();
    const infra = { DATABASE_URL: db.url, MQTT_URL: broker.url };
    gateway = await startGateway(infra);
    // Their own signing key, so that a token signed with the published development key is a forgery.
    booking = await startBooking(infra, { JWT_SECRET, VEHICLE_COMMAND_TIMEOUT_S: '3' });
    liveMap = await startService('live-map', await freePort(), { ...infra, JWT_SECRET });
    client = new BookingApi(booking.baseUrl);
    tokens.operator = await client.login(TEST_OPERATOR.email, TEST_OPERATOR.password);
    tokens.driverA = await client.driver('sec-a');
    tokens.driverB = await client.driver('sec-b');
    const zone = await as('operator', 'POST', '/zones', {
      name: 'Berlin',
      kind: 'business_area',
      geometry: BERLIN_CENTRE,
    });
    expect(zone.status).toBe(201);
  }, 90_000);

  afterAll(async () => {
    await Promise.all(cars.map((c) => c.disconnect().catch(() => undefined)));
    await Promise.all([liveMap, booking, gateway].map((s) => s?.kill('SIGTERM')));
    await broker?.stop();
    await db?.drop();
  }, 30_000);

  describe('the matrix: every route x anonymous, driver A, driver B, operator', () => {
    /** Shared path parameters; a row's `params` may override them with fresh ones. */
    const params: Record<string, string> = {
      vehicleId: 'SEC-TRIP',
      spareVehicleId: 'SEC-SPARE',
      honkVehicleId: 'SEC-HONK',
    };
    let honkCar: SimulatedCar;
    let reservableCar: SimulatedCar;
    /** Driver A's active reservation of SEC-RES, while there is one. */
    let activeReservation: string | undefined;
    /** A zone made for DELETE /zones/:zoneId, until one call deletes it. */
    let spareZone: string | undefined;

    async function reservationOfA(): Promise<string> {
      if (activeReservation) return activeReservation;
      const made = await as('driverA', 'POST', '/reservations', { vehicleId: 'SEC-RES' });
      expect(made.status).toBe(201);
      activeReservation = made.body.id as string;
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
      const { body } = await as('operator', 'GET', `/trips/${params.tripId}`);
      return { status: body.status, parkedSince: body.parkedSince, endedAt: body.endedAt };
    };

    const DETAILS: Record<string, RowDetails> = {
      'POST /api/v1/auth/register': {
        body: (who) => ({ email: `new-${who}@example.com`, password: 'password-123', name: who }),
        check: (_who, { body }) => expect(body.role).toBe('driver'),
      },
      'POST /api/v1/auth/login': {
        body: () => ({ email: 'driver-sec-login@example.com', password: 'password-123' }),
      },
      'GET /api/v1/vehicles/nearby': { query: `?lat=${ALEX.lat}&lon=${ALEX.lon}&radius=5000` },
      'GET /api/v1/me/trips': {
        // Each caller's own trips: A's trip is A's alone.
        check: (who, { body }) => {
          const ids = (body.trips as { id: string }[]).map((t) => t.id);
          if (who === 'driverA') expect(ids).toContain(params.tripId);
          else expect(ids).not.toContain(params.tripId);
        },
      },
      'GET /api/v1/reservations/:tripReservationId': {
        check: (_who, { body }) => expect(body.id).toBe(params.tripReservationId),
      },
      'GET /api/v1/trips/:tripId': { check: (_who, { body }) => expect(body.id).toBe(params.tripId) },
      'GET /api/v1/trips/:tripId/route': {
        check: (_who, { body }) => expect(body).toMatchObject({ type: 'Feature' }),
      },
      'POST /api/v1/trips/:tripId/park': {
        state: tripState,
        check: (_who, { body }) => expect(body.status).toBe('parked'),
      },
      'POST /api/v1/trips/:tripId/resume': {
        state: tripState,
        check: (_who, { body }) => expect(body.status).toBe('active'),
      },
      'POST /api/v1/trips/:tripId/end': {
        state: tripState,
        check: (_who, { body }) => expect(body.status).toBe('completed'),
      },
      'POST /api/v1/reservations': {
        body: () => ({ vehicleId: 'SEC-RES' }),
        state: async () => (await as('operator', 'GET', '/vehicles/SEC-RES')).body.state,
        after: async (who, { status, body }) => {
          if (status !== 201) return;
          if (who === 'driverA') activeReservation = body.id as string;
          // B's own reservation: cancelled again, so that B holds nothing and A can have the car.
          else expect((await as(who, 'DELETE', `/reservations/${body.id as string}`)).status).toBe(200);
        },
      },
      'DELETE /api/v1/reservations/:reservationId': {
        params: async () => ({ reservationId: await reservationOfA() }),
        state: async () => (await as('driverA', 'GET', `/reservations/${activeReservation}`)).body.status,
        after: async (_who, { status }) => {
          if (status === 200) activeReservation = undefined;
        },
        check: (_who, { body }) => expect(body.status).toBe('cancelled'),
      },
      'POST /api/v1/trips': {
        body: () => ({ reservationId: activeReservation }),
        params: async () => ({ reservationId: await reservationOfA() }),
        state: async () => [
          (await as('driverA', 'GET', `/reservations/${activeReservation}`)).body.status,
          commandsOf(reservableCar),
        ],
        after: async (who, { status, body }) => {
          if (who !== 'driverA' || status !== 201) return;
          activeReservation = undefined;
          // A ends it at once: A holds nothing after the matrix.
          expect((await as('driverA', 'POST', `/trips/${body.id as string}/end`)).status).toBe(200);
        },
      },
      'POST /api/v1/vehicles': {
        body: (who) => ({
          id: `SEC-NEW-${who}`,
          plate: 'B-SC 9',
          model: 'Renault Zoe',
          propulsion: 'electric',
        }),
        state: async (who) => (await as('operator', 'GET', `/vehicles/SEC-NEW-${who}`)).status,
        check: (_who, { body }) => expect(body.mqtt).toMatchObject({ username: 'SEC-NEW-operator' }),
      },
      'PATCH /api/v1/vehicles/:spareVehicleId': {
        body: () => ({ operationalStatus: 'maintenance' }),
        state: async () => (await as('operator', 'GET', '/vehicles/SEC-SPARE')).body.operationalStatus,
        check: (_who, { body }) => expect(body.operationalStatus).toBe('maintenance'),
      },
      'POST /api/v1/vehicles/:honkVehicleId/commands': {
        body: () => ({ type: 'honk' }),
        state: async () => commandsOf(honkCar),
        check: (_who, { body }) => {
          expect(body).toMatchObject({ type: 'honk', status: 'succeeded' });
          expect(commandsOf(honkCar)).toEqual(['honk']);
        },
      },
      'POST /api/v1/zones': {
        body: (who) => ({ name: `zone of ${who}`, kind: 'no_parking', geometry: tinySquare(10) }),
        state: async () => (await zoneIds()).length,
        after: async (_who, { status, body }) => {
          if (status === 201) await as('operator', 'DELETE', `/zones/${body.id as string}`);
        },
      },
      'DELETE /api/v1/zones/:zoneId': {
        params: async () => {
          if (!spareZone) {
            const made = await as('operator', 'POST', '/zones', {
              name: 'to delete',
              kind: 'no_parking',
              geometry: tinySquare(11),
            });
            spareZone = made.body.id as string;
          }
          return { zoneId: spareZone };
        },
        state: async () => (await zoneIds()).includes(spareZone!),
        after: async (_who, { status }) => {
          if (status === 204) spareZone = undefined;
        },
      },
    };

    beforeAll(async () => {
      const orphans = Object.keys(DETAILS).filter((k) => !MATRIX.some((r) => `${r.method} ${r.path}` === k));
      expect(orphans).toEqual([]);
      await client.call('/auth/register', {
        method: 'POST',
        body: { email: 'driver-sec-login@example.com', password: 'password-123', name: 'Login' },
      });
      const tripCar = await addCar('SEC-TRIP', 0);
      reservableCar = await addCar('SEC-RES', 300);
      honkCar = await addCar('SEC-HONK', 600);
      const spare = await as('operator', 'POST', '/vehicles', {
        id: 'SEC-SPARE',
        plate: 'B-SC 0',
        model: 'VW ID.3',
        propulsion: 'electric',
      });
      expect(spare.status).toBe(201);

      // Driver A's reservation, made a trip: A owns both (the reservation is then "converted").
      const reservation = await as('driverA', 'POST', '/reservations', { vehicleId: 'SEC-TRIP' });
      expect(reservation.status).toBe(201);
      params.tripReservationId = reservation.body.id as string;
      const trip = await as('driverA', 'POST', '/trips', { reservationId: params.tripReservationId });
      expect(trip.status).toBe(201);
      params.tripId = trip.body.id as string;
      expect(commandsOf(tripCar)).toEqual(['unlock']);
      await tripCar.publishSample();
    }, 60_000);

    for (const { method, path, expected } of MATRIX) {
      for (const who of RUN_ORDER) {
        const status = expected[who];
        it(`${method} ${path} as ${who}: ${status}`, async () => {
          const details = DETAILS[`${method} ${path}`] ?? {};
          const values = { ...params, ...(await details.params?.(who)) };
          const url = path.replace(/:(\w+)/g, (_, name: string) => values[name]) + (details.query ?? '');
          const refused = status >= 400;
          const before = refused ? await details.state?.(who) : undefined;

          const answer = await send(method, url, {
            authorization: tokens[who] && `Bearer ${tokens[who]}`,
            body: details.body?.(who),
          });
          await details.after?.(who, answer);

          expect({ status: answer.status, body: answer.body }).toMatchObject({ status });
          if (status === 401) expect(answer.body.code).toBe('UNAUTHORIZED');
          if (status === 403) expect(answer.body.code).toBe('FORBIDDEN');
          if (status === 404) expect(answer.body.code).toMatch(/_NOT_FOUND$/);
          if (refused && details.state) expect(await details.state(who)).toEqual(before);
          if (!refused) details.check?.(who, answer);
        });
      }
    }

    it('has a row for every operation of the OpenAPI document', async () => {
      const doc = (await send('GET', '/api/docs-json')).body as { paths: Record<string, object> };
      const shape = (method: string, path: string) =>
        `${method.toUpperCase()} ${path.replace(/\{\w+\}|:\w+/g, '{}')}`;
      const documented = Object.entries(doc.paths).flatMap(([path, operations]) =>
        Object.keys(operations).map((method) => shape(method, path)),
      );
      const inMatrix = new Set(MATRIX.map((r) => shape(r.method, r.path)));
      expect(documented.filter((op) => !inMatrix.has(op))).toEqual([]);
      expect(documented.length).toBeGreaterThan(20);
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

    it('refuses a self-chosen role at registration: 400, and nobody becomes an operator', async () => {
      const res = await send('POST', '/api/v1/auth/register', {
        body: { email: 'mallory@example.com', password: 'password-123', name: 'M', role: 'operator' },
      });
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      const login = await send('POST', '/api/v1/auth/login', {
        body: { email: 'mallory@example.com', password: 'password-123' },
      });
      expect(login.status).toBe(401);
    });
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
        ['driverB', 'POST', '/vehicles/CMD-A/commands', { type: 'unlock' }, 403, 'FORBIDDEN'],
        ['operator', 'POST', '/trips', { reservationId }, 403, 'FORBIDDEN'],
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
        ['driverB', 'POST', '/vehicles/CMD-A/commands', { type: 'immobilize' }, 403, 'FORBIDDEN'],
        ['driverA', 'POST', '/vehicles/CMD-2/commands', { type: 'unlock' }, 403, 'FORBIDDEN'],
        ['operator', 'POST', `/trips/${tripId}/park`, undefined, 403, 'FORBIDDEN'],
        ['operator', 'POST', `/trips/${tripId}/end`, undefined, 403, 'FORBIDDEN'],
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
      const reserve = (who: Who) =>
        send('POST', '/api/v1/reservations', {
          authorization: `Bearer ${tokens[who]}`,
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

  describe('forged and malformed tokens: 401 from the API', () => {
    let kit: TokenKit;
    /** A driver route (any signed-in user) and an operator route. */
    const ENDPOINTS = [
      { kind: 'driver endpoint', path: '/api/v1/me/trips' },
      { kind: 'operator endpoint', path: '/api/v1/vehicles' },
    ];

    beforeAll(() => {
      kit = tokenKit();
    });

    // Controls: tokens made by the same hand with the right key pass, so each 401 below is its defect's.
    it.each(ENDPOINTS)(
      'accepts a hand-made, correctly signed operator token on the $kind',
      async ({ path }) => {
        const res = await send('GET', path, {
          authorization: `Bearer ${jwt(operatorClaims(kit), JWT_SECRET)}`,
        });
        expect(res.status).toBe(200);
      },
    );

    for (const { kind, path } of ENDPOINTS) {
      for (const forged of FORGED_TOKENS) {
        it(`${kind} GET ${path}: ${forged.name}: 401`, async () => {
          const res = await send('GET', path, { authorization: `Bearer ${forged.token(kit)}` });
          expect({ status: res.status, code: res.body.code }).toEqual({ status: 401, code: 'UNAUTHORIZED' });
        });
      }
      const headers: [string, () => string][] = [
        ['a valid token without "Bearer"', () => token('operator')],
        ['a valid token under the Basic scheme', () => `Basic ${token('operator')}`],
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

    /** The handshake's outcome: "connected", or the connect_error message. */
    function handshake(tokenValue: string): Promise<string> {
      const socket = io(`${liveMap.baseUrl}/live`, {
        auth: { token: tokenValue },
        transports: ['websocket'],
        reconnection: false,
      });
      return new Promise<string>((resolve) => {
        socket.once('connect', () => resolve('connected'));
        socket.once('connect_error', (err) => resolve(err.message));
      }).finally(() => socket.disconnect());
    }

    beforeAll(() => {
      kit = tokenKit();
    });

    it('connects with a hand-made, correctly signed operator token (the control)', async () => {
      expect(await handshake(jwt(operatorClaims(kit), JWT_SECRET))).toBe('connected');
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
   * MALFORMED_JSON from the body parser.
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
        who: 'operator',
        method: 'GET',
        path: '/api/v1/vehicles/%00',
        status: 404,
        code: 'VEHICLE_NOT_FOUND',
      },
      {
        name: 'a NUL character as the vehicle id of a status change',
        who: 'operator',
        method: 'PATCH',
        path: '/api/v1/vehicles/%00',
        body: { operationalStatus: 'maintenance' },
        status: 404,
        code: 'VEHICLE_NOT_FOUND',
      },
      {
        name: 'a NUL character as the vehicle id of a track',
        who: 'operator',
        method: 'GET',
        path: '/api/v1/vehicles/%00/track',
        status: 404,
        code: 'VEHICLE_NOT_FOUND',
      },
      {
        name: 'a NUL character as the vehicle id of a command',
        who: 'operator',
        method: 'POST',
        path: '/api/v1/vehicles/%00/commands',
        body: { type: 'honk' },
        status: 404,
        code: 'VEHICLE_NOT_FOUND',
      },
      {
        name: 'a NUL character as the paging cursor',
        who: 'operator',
        method: 'GET',
        path: '/api/v1/vehicles?after=%00',
        status: 400,
        code: 'VALIDATION_FAILED',
        field: ['after', 'U+0000'],
      },
      {
        name: 'a NUL character in a plate',
        who: 'operator',
        method: 'POST',
        path: '/api/v1/vehicles',
        body: { id: 'SEC-NUL', plate: `B${NUL}`, model: 'VW ID.3', propulsion: 'electric' },
        status: 400,
        code: 'VALIDATION_FAILED',
        field: ['plate', 'U+0000'],
      },
      {
        name: 'an unpaired surrogate in a plate',
        who: 'operator',
        method: 'POST',
        path: '/api/v1/vehicles',
        body: { id: 'SEC-SURROGATE', plate: 'B\ud800', model: 'VW ID.3', propulsion: 'electric' },
        status: 400,
        code: 'VALIDATION_FAILED',
        field: ['plate', 'surrogate'],
      },
      {
        name: 'a NUL character in a zone name',
        who: 'operator',
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
        await db.client.query(
          `SELECT (SELECT count(*) FROM users)::int AS users, (SELECT count(*) FROM vehicles)::int AS vehicles,
                  (SELECT count(*) FROM zones)::int AS zones, (SELECT count(*) FROM vehicle_commands)::int AS commands`,
        )
      ).rows[0] as Record<string, number>;
    /** Where the service's output stood before these requests. */
    let logFrom = 0;
    beforeAll(() => {
      logFrom = booking.output().length;
    });

    for (const { name, who, method, path, body, rawBody, status, code, field } of cases) {
      it(`${name}: ${method} ${path} as ${who} answers ${status} ${code}`, async () => {
        const before = await written();
        const res = await send(method, path, {
          authorization: tokens[who] && `Bearer ${tokens[who]}`,
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

    it('logs no error and no stack trace for any of them', () => {
      const logged = booking.output().slice(logFrom);
      expect(logged).not.toMatch(/ERROR|\n\s+at /);
    });
  });
});
