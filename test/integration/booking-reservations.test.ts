import {
  createTestDatabase,
  freePort,
  GbfsFeed,
  gbfsProblems,
  insertVehicles,
  ServiceProcess,
  startService,
  TestDatabase,
  waitFor,
} from '@fleet/testing';
import { ApiRequest, BERLIN_CENTRE, BookingApi } from './booking-api';

/**
 * The booking service as a process against the real PostgreSQL/PostGIS: auth, zones, nearby search,
 * reservations (idempotency, visibility, cancel, expiry) and the race for few cars. The cars' latest
 * state is written as the gateway writes it (online, fresh fix, battery), around Alexanderplatz.
 */
describe('booking: auth, zones, nearby, reservations', () => {
  let db: TestDatabase;
  let booking: ServiceProcess;
  let client: BookingApi;
  const api = (path: string, init?: ApiRequest) => client.call(path, init);
  let operator: string;

  const ALEX = { lat: 52.5219, lon: 13.4132 };

  /**
   * Puts cars where the gateway would: online, available, a fresh fix `metres` east of Alexanderplatz;
   * resolves once the service's nearby index (resynced every 200 ms here) lists the bookable ones.
   */
  async function placeCars(cars: { id: string; eastM: number; batteryPct?: number; online?: boolean }[]) {
    await insertVehicles(
      db.client,
      cars.map((c) => c.id),
      'electric',
    );
    for (const c of cars) {
      const lon = ALEX.lon + c.eastM / (111_320 * Math.cos((ALEX.lat * Math.PI) / 180));
      await db.client.query(
        `UPDATE vehicle_state SET position = ST_SetSRID(ST_MakePoint($2, $3), 4326)::geography, fix_at = now(),
                online = $5, state = 'available', battery_pct = $4, locked = true, last_seen_at = now()
          WHERE vehicle_id = $1`,
        [c.id, lon, ALEX.lat, c.batteryPct ?? 80, c.online ?? true],
      );
    }
    const bookable = cars.filter((c) => (c.online ?? true) && (c.batteryPct ?? 80) >= 15).map((c) => c.id);
    await waitFor(
      async () => {
        const listed = await nearbyIds();
        return bookable.every((id) => listed.includes(id));
      },
      5000,
      `nearby index lists ${bookable.join(', ')}`,
    );
  }

  const driver = (n: string) => client.driver(n);

  const nearbyIds = async () =>
    (await api(`/vehicles/nearby?lat=${ALEX.lat}&lon=${ALEX.lon}&radius=5000&limit=100`)).body.vehicles!.map(
      (v) => v.id,
    );

  beforeAll(async () => {
    db = await createTestDatabase();
    booking = await startService('booking', await freePort(), {
      DATABASE_URL: db.url,
      FLEET_OPERATOR_EMAIL: 'ops@fleet.test',
      FLEET_OPERATOR_PASSWORD: 'ops-password',
      PASSWORD_ARGON2_MEMORY_KIB: '1024',
      PASSWORD_ARGON2_TIME_COST: '1',
      THROTTLE_AUTH_PER_MIN: '1000',
      THROTTLE_WRITES_PER_MIN: '1000',
      RESERVATION_EXPIRY_CHECK_MS: '500',
      NEARBY_INDEX_RESYNC_MS: '200',
      GBFS_TTL_S: '0', // every request sees the database as it is
    });
    client = new BookingApi(booking.baseUrl);
    operator = await client.login('ops@fleet.test', 'ops-password');
    const zone = await api('/zones', {
      method: 'POST',
      token: operator,
      body: { name: 'Berlin centre', kind: 'business_area', geometry: BERLIN_CENTRE },
    });
    expect(zone.status).toBe(201);
  }, 60_000);

  afterAll(async () => {
    await booking?.kill('SIGTERM');
    await db?.drop();
  });

  describe('auth', () => {
    it('registers a driver and logs in with a Bearer token', async () => {
      const reg = await api('/auth/register', {
        method: 'POST',
        body: { email: 'Ada@Example.com', password: 'password-123', name: 'Ada' },
      });
      expect(reg.status).toBe(201);
      expect(reg.body).toEqual({
        id: expect.any(String),
        email: 'ada@example.com',
        name: 'Ada',
        role: 'driver',
      });
      const login = await api('/auth/login', {
        method: 'POST',
        body: { email: 'ada@example.com', password: 'password-123' },
      });
      expect(login.status).toBe(200);
      expect(login.body).toEqual({
        accessToken: expect.any(String),
        refreshToken: expect.any(String),
        tokenType: 'Bearer',
        expiresIn: 900,
      });
    });

    it('answers a taken email as a new one, refuses a wrong password (401) and unknown fields (400)', async () => {
      const again = await api('/auth/register', {
        method: 'POST',
        body: { email: 'ada@example.com', password: 'password-123', name: 'Ada 2' },
      });
      expect(again.status).toBe(201);
      expect(again.body).toEqual({
        id: expect.any(String),
        email: 'ada@example.com',
        name: 'Ada 2',
        role: 'driver',
      });
      const wrong = await api('/auth/login', {
        method: 'POST',
        body: { email: 'ada@example.com', password: 'nope-nope' },
      });
      expect(wrong.body).toMatchObject({ statusCode: 401, code: 'INVALID_CREDENTIALS' });
      const extra = await api('/auth/register', {
        method: 'POST',
        body: { email: 'x@example.com', password: 'password-123', name: 'X', role: 'operator' },
      });
      expect(extra.status).toBe(400);
      expect(extra.body.code).toBe('VALIDATION_FAILED');
      expect(extra.body.fields).toEqual([{ field: 'role', problems: ['property role should not exist'] }]);
      const short = await api('/auth/register', {
        method: 'POST',
        body: { email: 'y@example.com', password: 'short', name: 'Y' },
      });
      expect(short.body.fields!.map((f) => f.field)).toEqual(['password']);
    });

    it('guards routes: no token 401, a forged token 401, a driver on an operator route 403', async () => {
      expect((await api('/reservations/x')).body).toMatchObject({ statusCode: 401, code: 'UNAUTHORIZED' });
      const forged = operator.slice(0, -4) + 'AAAA';
      expect((await api('/reservations/x', { token: forged })).status).toBe(401);
      const token = await driver('guard');
      const res = await api('/zones', {
        method: 'POST',
        token,
        body: { name: 'x', kind: 'no_parking', geometry: BERLIN_CENTRE },
      });
      expect(res.body).toMatchObject({ statusCode: 403, code: 'FORBIDDEN' });
    });

    it('serves the OpenAPI document', async () => {
      const res = await fetch(`${booking.baseUrl}/api/docs-json`);
      expect(res.status).toBe(200);
      const doc = (await res.json()) as { paths: Record<string, unknown> };
      expect(Object.keys(doc.paths)).toEqual(
        expect.arrayContaining(['/api/v1/auth/login', '/api/v1/reservations']),
      );
    });
  });

  describe('zones', () => {
    it('refuses a self-intersecting polygon with the reason, and lists zones publicly', async () => {
      const bowTie = {
        type: 'Polygon',
        coordinates: [
          [
            [13.3, 52.4],
            [13.5, 52.6],
            [13.5, 52.4],
            [13.3, 52.6],
            [13.3, 52.4],
          ],
        ],
      };
      const res = await api('/zones', {
        method: 'POST',
        token: operator,
        body: { name: 'bad', kind: 'no_parking', geometry: bowTie },
      });
      expect(res.status).toBe(400);
      expect(res.body.message).toMatch(/intersects itself/);
      const list = await api('/zones');
      expect(list.body.zones).toEqual([
        expect.objectContaining({ name: 'Berlin centre', kind: 'business_area' }),
      ]);
      expect(list.body.zones![0].geometry.type).toBe('MultiPolygon');
    });
  });

  describe('nearby', () => {
    beforeAll(async () => {
      await placeCars([
        { id: 'NEAR-300', eastM: 300 },
        { id: 'NEAR-100', eastM: 100 },
        { id: 'NEAR-LOW', eastM: 150, batteryPct: 10 },
        { id: 'NEAR-OFF', eastM: 200, online: false },
        { id: 'NEAR-FAR', eastM: 4000 },
      ]);
    });

    it('lists bookable cars nearest first with ellipsoidal distances', async () => {
      const res = await api(`/vehicles/nearby?lat=${ALEX.lat}&lon=${ALEX.lon}&radius=1000`);
      expect(res.status).toBe(200);
      expect(res.body.vehicles!.map((v) => v.id)).toEqual(['NEAR-100', 'NEAR-300']);
      const [first] = res.body.vehicles!;
      expect(first).toMatchObject({ plate: expect.any(String), propulsion: 'electric', batteryPct: 80 });
      expect(first.distanceM).toBeGreaterThan(99);
      expect(first.distanceM).toBeLessThan(101);
      expect(first).not.toHaveProperty('fuelPct');
    });

    it.each([
      ['radius 0', 'radius=0'],
      ['radius above 5000', 'radius=5001'],
      ['limit 101', 'limit=101'],
      ['latitude 91', 'lat=91'],
    ])('refuses %s with 400', async (_, override) => {
      const params = new URLSearchParams({ lat: String(ALEX.lat), lon: String(ALEX.lon) });
      const [k, v] = override.split('=');
      params.set(k, v);
      const res = await api(`/vehicles/nearby?${params.toString()}`);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
    });

    it('gives the same answer however the search is written (plain searches take the fast path)', async () => {
      const plain = await api(`/vehicles/nearby?lat=${ALEX.lat}&lon=${ALEX.lon}&radius=1000`);
      // Percent-encoded, a sign and an exponent: valid, but not plain, so Express and Nest answer it.
      const spelled = await api(`/vehicles/nearby?lat=%2B${ALEX.lat}&lon=134132e-4&radius=1e3&limit=20`);
      expect(spelled.status).toBe(200);
      expect(plain.body).toEqual(spelled.body);
      expect(plain.body.vehicles!.map((v) => v.id)).toEqual(['NEAR-100', 'NEAR-300']);
    });

    it('answers a browser page with the CORS headers and JSON, on a plain search and on a refused one', async () => {
      const origin = 'https://app.fleet.example';
      for (const [query, status] of [
        [`lat=${ALEX.lat}&lon=${ALEX.lon}`, 200],
        [`lat=${ALEX.lat}&lon=${ALEX.lon}&radius=0`, 400],
      ] as const) {
        const res = await fetch(`${booking.baseUrl}/api/v1/vehicles/nearby?${query}`, {
          headers: { origin },
        });
        expect(res.status).toBe(status);
        expect(res.headers.get('access-control-allow-origin')).toBe(origin);
        expect(res.headers.get('access-control-expose-headers')).toBe('Location');
        expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
        expect(Number(res.headers.get('content-length'))).toBe(Buffer.byteLength(await res.text()));
      }
      const preflight = await fetch(
        `${booking.baseUrl}/api/v1/vehicles/nearby?lat=${ALEX.lat}&lon=${ALEX.lon}`,
        {
          method: 'OPTIONS',
          headers: {
            origin,
            'access-control-request-method': 'GET',
            'access-control-request-headers': 'authorization',
          },
        },
      );
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('access-control-allow-origin')).toBe(origin);
    });
  });

  describe('open data (GBFS v3.0)', () => {
    const eastOf = (eastM: number) => ALEX.lon + eastM / (111_320 * Math.cos((ALEX.lat * Math.PI) / 180));
    type Vehicle = { vehicle_id: string; lon: number; is_reserved: boolean; is_disabled: boolean };
    const gbfs = async <T>(url: string) => {
      const res = await fetch(url);
      return { res, body: (await res.json()) as { data: T } };
    };
    const vehicles = async () =>
      (await gbfs<{ vehicles: Vehicle[] }>(`${booking.baseUrl}/api/v1/gbfs/vehicle_status.json`)).body.data
        .vehicles;
    const at = (list: Vehicle[], eastM: number) => list.filter((v) => Math.abs(v.lon - eastOf(eastM)) < 1e-7);

    beforeAll(async () => {
      await placeCars([
        { id: 'GBFS-FREE', eastM: 1210 },
        { id: 'GBFS-HELD', eastM: 1220 },
        { id: 'GBFS-TRIP', eastM: 1230 },
        { id: 'GBFS-SHOP', eastM: 1240 },
        { id: 'GBFS-GONE', eastM: 1250 },
        { id: 'GBFS-LOW', eastM: 1260, batteryPct: 5 },
      ]);
      await db.client.query(`UPDATE vehicle_state SET state = 'reserved' WHERE vehicle_id = 'GBFS-HELD'`);
      await db.client.query(`UPDATE vehicle_state SET state = 'on_trip' WHERE vehicle_id = 'GBFS-TRIP'`);
      await db.client.query(
        `UPDATE vehicle_state SET state = 'non_operational' WHERE vehicle_id = 'GBFS-SHOP'`,
      );
      await db.client.query(`UPDATE vehicles SET operational_status = 'removed' WHERE id = 'GBFS-GONE'`);
      await db.client.query(`UPDATE vehicles SET model = 'Škoda Enyaq iV' WHERE id = 'GBFS-SHOP'`);
    });

    it('serves every feed gbfs.json lists, each valid GBFS v3.0, public and cacheable for its ttl', async () => {
      const { res, body } = await gbfs<{ feeds: { name: string; url: string }[] }>(
        `${booking.baseUrl}/api/v1/gbfs/gbfs.json`,
      );
      expect(res.status).toBe(200);
      expect(await gbfsProblems('gbfs', body)).toEqual([]);
      expect(body.data.feeds.map((f) => f.name)).toEqual([
        'system_information',
        'vehicle_types',
        'vehicle_status',
        'geofencing_zones',
        'system_pricing_plans',
      ]);
      for (const feed of body.data.feeds) {
        expect(feed.url).toBe(`${booking.baseUrl}/api/v1/gbfs/${feed.name}.json`);
        const answer = await gbfs(feed.url);
        expect([
          feed.name,
          answer.res.status,
          await gbfsProblems(feed.name as GbfsFeed, answer.body),
        ]).toEqual([feed.name, 200, []]);
        expect(answer.res.headers.get('content-type')).toBe('application/json; charset=utf-8');
        expect(answer.res.headers.get('cache-control')).toBe('public, max-age=0');
        expect(answer.res.headers.get('content-encoding')).toBe('gzip'); // fetch asks for it
      }
    });

    it('lists cars not in a rental (reserved ones marked, unrentable ones disabled), never one on a trip or removed', async () => {
      const list = await vehicles();
      expect(at(list, 1210)).toEqual([expect.objectContaining({ is_reserved: false, is_disabled: false })]);
      expect(at(list, 1220)).toEqual([expect.objectContaining({ is_reserved: true, is_disabled: false })]);
      expect(at(list, 1230)).toEqual([]);
      expect(at(list, 1240)).toEqual([expect.objectContaining({ is_reserved: false, is_disabled: true })]);
      expect(at(list, 1250)).toEqual([]);
      expect(at(list, 1260)).toEqual([expect.objectContaining({ is_reserved: false, is_disabled: true })]);
      expect(JSON.stringify(list)).not.toMatch(/GBFS-|NEAR-|RES-/);
    });

    it('describes each car: its type (listed in vehicle_types), energy as a fraction, when it last reported; ordered by public id', async () => {
      const list = await vehicles();
      const types = (
        await gbfs<{ vehicle_types: { vehicle_type_id: string }[] }>(
          `${booking.baseUrl}/api/v1/gbfs/vehicle_types.json`,
        )
      ).body.data.vehicle_types.map((t) => t.vehicle_type_id);
      expect(at(list, 1210)).toEqual([
        expect.objectContaining({
          vehicle_id: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
          current_fuel_percent: 0.8,
          pricing_plan_id: 'standard',
          last_reported: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
        }),
      ]);
      expect(at(list, 1240)[0]).toMatchObject({ vehicle_type_id: 'electric-skoda-enyaq-iv' });
      for (const v of list)
        expect(types).toContain((v as unknown as { vehicle_type_id: string }).vehicle_type_id);
      const ids = list.map((v) => v.vehicle_id);
      expect(ids).toEqual([...ids].sort());
    });

    it("rotates a car's public id after a trip, and only then", async () => {
      const [before] = at(await vehicles(), 1210);
      expect(at(await vehicles(), 1210)[0].vehicle_id).toBe(before.vehicle_id);
      await db.client.query(
        `INSERT INTO trips (driver_id, vehicle_id, status, ended_at)
         VALUES ((SELECT id FROM users ORDER BY created_at LIMIT 1), 'GBFS-FREE', 'completed', now())`,
      );
      const [after] = at(await vehicles(), 1210);
      expect(after.vehicle_id).not.toBe(before.vehicle_id);
    });

    it('publishes the business areas (trips may end there) and the rule outside them (no trip starts or ends)', async () => {
      type Zones = {
        geofencing_zones: {
          features: { properties: { name: { text: string }[]; rules: { ride_end_allowed: boolean }[] } }[];
        };
        global_rules: { ride_end_allowed: boolean; ride_start_allowed: boolean }[];
      };
      const { body } = await gbfs<Zones>(`${booking.baseUrl}/api/v1/gbfs/geofencing_zones.json`);
      const berlin = body.data.geofencing_zones.features.find(
        (f) => f.properties.name[0].text === 'Berlin centre',
      );
      expect(berlin?.properties.rules).toEqual([expect.objectContaining({ ride_end_allowed: true })]);
      expect(body.data.global_rules).toEqual([
        expect.objectContaining({ ride_end_allowed: false, ride_start_allowed: false }),
      ]);
    });
  });

  describe('reservations', () => {
    let a: string;
    let b: string;

    beforeAll(async () => {
      await placeCars([
        { id: 'RES-1', eastM: 50 },
        { id: 'RES-2', eastM: 60 },
      ]);
      [a, b] = await Promise.all([driver('a'), driver('b')]);
    });

    it('reserves a car for 20 free minutes; it leaves the nearby list; others get 409', async () => {
      const res = await api('/reservations', { method: 'POST', token: a, body: { vehicleId: 'RES-1' } });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ vehicleId: 'RES-1', status: 'active' });
      const holdMin = (Date.parse(res.body.expiresAt!) - Date.parse(res.body.createdAt!)) / 60_000;
      expect(holdMin).toBeCloseTo(20, 5);
      expect(await nearbyIds()).not.toContain('RES-1');
      const other = await api('/reservations', { method: 'POST', token: b, body: { vehicleId: 'RES-1' } });
      expect(other.body).toMatchObject({ statusCode: 409, code: 'VEHICLE_UNAVAILABLE' });
      const second = await api('/reservations', { method: 'POST', token: a, body: { vehicleId: 'RES-2' } });
      expect(second.body).toMatchObject({ statusCode: 409, code: 'DRIVER_HAS_ACTIVE_BOOKING' });
      const unknown = await api('/reservations', {
        method: 'POST',
        token: b,
        body: { vehicleId: 'NO-SUCH-CAR' },
      });
      expect(unknown.body).toMatchObject({ statusCode: 404, code: 'VEHICLE_NOT_FOUND' });

      // Driver B cannot see A's reservation; an operator can.
      expect((await api(`/reservations/${res.body.id}`, { token: b })).status).toBe(404);
      expect((await api(`/reservations/${res.body.id}`, { token: operator })).body.id).toBe(res.body.id);
      expect((await api(`/reservations/${res.body.id}`, { token: a })).body.status).toBe('active');

      const events = await db.client.query(
        `SELECT event_type, state_from, state_to FROM vehicle_events WHERE vehicle_id = 'RES-1'`,
      );
      expect(events.rows).toEqual([
        { event_type: 'reservation_start', state_from: 'available', state_to: 'reserved' },
      ]);
    });

    it('cancels: the car is bookable again at once', async () => {
      const [active] = (
        await db.client.query(`SELECT id FROM reservations WHERE vehicle_id = 'RES-1' AND status = 'active'`)
      ).rows;
      expect((await api(`/reservations/${active.id}`, { method: 'DELETE', token: b })).status).toBe(404);
      const res = await api(`/reservations/${active.id}`, { method: 'DELETE', token: a });
      expect(res.status).toBe(200);
      expect(res.body.status).toBe('cancelled');
      expect(await nearbyIds()).toContain('RES-1');
      const again = await api(`/reservations/${active.id}`, { method: 'DELETE', token: a });
      expect(again.body).toMatchObject({ statusCode: 409, code: 'RESERVATION_NOT_ACTIVE' });
    });

    it('Idempotency-Key: the same body gets the first answer, another body 422', async () => {
      const key = { 'Idempotency-Key': 'phone-retry-1' };
      const first = await api('/reservations', {
        method: 'POST',
        token: b,
        body: { vehicleId: 'RES-2' },
        headers: key,
      });
      const retry = await api('/reservations', {
        method: 'POST',
        token: b,
        body: { vehicleId: 'RES-2' },
        headers: key,
      });
      expect(first.status).toBe(201);
      expect(retry.status).toBe(201);
      expect(retry.body).toEqual(first.body);
      const other = await api('/reservations', {
        method: 'POST',
        token: b,
        body: { vehicleId: 'RES-1' },
        headers: key,
      });
      expect(other.body).toMatchObject({ statusCode: 422, code: 'IDEMPOTENCY_KEY_REUSED' });
      const count = await db.client.query(
        `SELECT count(*)::int AS n FROM reservations WHERE driver_id = (SELECT id FROM users WHERE email = 'driver-b@example.com')`,
      );
      expect(count.rows[0].n).toBe(1);
    });

    it('expires when the hold runs out: the car is bookable again within 5 s', async () => {
      const [active] = (
        await db.client.query(`SELECT id FROM reservations WHERE vehicle_id = 'RES-2' AND status = 'active'`)
      ).rows;
      await db.client.query(
        `UPDATE reservations SET created_at = now() - interval '21 minutes', expires_at = now() WHERE id = $1`,
        [active.id],
      );
      const started = Date.now();
      await waitFor(async () => (await nearbyIds()).includes('RES-2'), 5000, 'car bookable again');
      expect(Date.now() - started).toBeLessThan(5000);
      expect((await api(`/reservations/${active.id}`, { token: b })).body.status).toBe('expired');
      const events = await db.client.query<{ event_type: string }>(
        `SELECT event_type FROM vehicle_events WHERE vehicle_id = 'RES-2' ORDER BY id`,
      );
      expect(events.rows.map((r) => r.event_type)).toEqual(['reservation_start', 'provider_cancellation']);
    });
  });

  it('50 drivers race for 5 cars: exactly 5 reservations, 45 answers 409, no car held twice', async () => {
    const cars = Array.from({ length: 5 }, (_, i) => ({ id: `RACE-${i}`, eastM: 500 + i * 10 }));
    await placeCars(cars);
    const tokens = await Promise.all(Array.from({ length: 50 }, (_, i) => driver(`race-${i}`)));
    const answers = await Promise.all(
      tokens.map((token, i) =>
        api('/reservations', { method: 'POST', token, body: { vehicleId: cars[i % 5].id } }),
      ),
    );
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(5);
    expect(statuses.filter((s) => s === 409)).toHaveLength(45);
    expect(new Set(answers.filter((a) => a.status === 409).map((a) => a.body.code))).toEqual(
      new Set(['VEHICLE_UNAVAILABLE']),
    );
    const held = await db.client.query(
      `SELECT vehicle_id, count(*)::int AS n FROM reservations WHERE vehicle_id LIKE 'RACE-%' AND status = 'active' GROUP BY vehicle_id`,
    );
    expect(held.rows).toHaveLength(5);
    expect(held.rows.every((r) => r.n === 1)).toBe(true);
    const states = await db.client.query(
      `SELECT DISTINCT state FROM vehicle_state WHERE vehicle_id LIKE 'RACE-%'`,
    );
    expect(states.rows).toEqual([{ state: 'reserved' }]);
  }, 60_000);
});
