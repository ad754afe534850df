import { VEHICLE_CHANGES_PATTERN, VehicleChange } from '@fleet/messaging';
import { CommandBehaviour, SimulatedCar, WireSample } from '@fleet/simulator';
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
import mqtt, { MqttClient } from 'mqtt';
import { randomBytes } from 'node:crypto';
import { ApiRequest, BookingApi } from './booking-api';

interface PriceBody {
  currency: string;
  totalCents: number;
  lines: { kind: string; quantity: number; unitCents: number; amountCents: number }[];
}

interface TripBody {
  statusCode?: number;
  code?: string;
  message?: string;
  fields?: { field: string; problems: string[] }[];
  distanceToBusinessAreaM?: number;
  id: string;
  vehicleId: string;
  status: string;
  startedAt: string;
  endedAt: string | null;
  durationS: number;
  parkedS: number;
  distanceM: number | null;
  price: PriceBody | null;
}

interface VehicleBody {
  statusCode?: number;
  code?: string;
  id: string;
  state: string;
  operationalStatus: string;
  online: boolean;
  lat: number | null;
  lon: number | null;
  lastFixAt: string | null;
  locked: boolean | null;
  batteryPct?: number;
  mqtt?: { username: string; password: string };
}

interface FeatureBody {
  type: string;
  geometry: { type: string; coordinates: [number, number][] } | null;
  properties: { timestamps: string[] };
}

/**
 * End to end, as drivers, operators and cars use the platform: the telemetry gateway and the booking
 * service run as processes on real PostgreSQL/PostGIS and Mosquitto; cars are simulated MQTT clients
 * registered through the operator API, reporting telemetry and answering unlock and lock.
 */
describe('booking: trips and operator vehicles (gateway, booking, Mosquitto, simulated cars)', () => {
  let db: TestDatabase;
  let broker: MosquittoInstance;
  let gateway: ServiceProcess;
  let booking: ServiceProcess;
  let client: BookingApi;
  let operator: string;
  const cars: SimulatedCar[] = [];
  /** What the internal state stream carried, as the live map would hear it. */
  let listener: MqttClient;
  const streamed: VehicleChange[] = [];
  const api = <T = TripBody>(path: string, init?: ApiRequest) => client.call<T>(path, init);

  const ALEX = { lat: 52.5219, lon: 13.4132 };
  /** A no-parking zone near the east edge of the business area. */
  const NO_PARKING = { lat: 52.52, lon: 13.54 };
  const square = (west: number, south: number, east: number, north: number) => ({
    type: 'Polygon',
    coordinates: [
      [
        [west, south],
        [east, south],
        [east, north],
        [west, north],
        [west, south],
      ],
    ],
  });
  const eastOf = (p: { lat: number; lon: number }, metres: number) => ({
    lat: p.lat,
    lon: p.lon + metres / (111_320 * Math.cos((p.lat * Math.PI) / 180)),
  });

  /** Registers a car through the operator API; it connects with its credentials and reports once. */
  async function addCar(
    id: string,
    at: { lat: number; lon: number },
    options: { first?: Partial<WireSample>; commands?: CommandBehaviour; reportAfterCommand?: boolean } = {},
  ): Promise<SimulatedCar> {
    const reg = await api<VehicleBody>('/vehicles', {
      method: 'POST',
      token: operator,
      body: { id, plate: `B-FL ${id.slice(-4)}`, model: 'VW ID.3', propulsion: 'electric' },
    });
    expect(reg.status).toBe(201);
    const car = new SimulatedCar({
      url: broker.url,
      vehicleId: id,
      username: reg.body.mqtt!.username,
      password: reg.body.mqtt!.password,
      ...at,
      propulsion: 'electric',
      commands: options.commands,
      reportAfterCommand: options.reportAfterCommand,
    });
    cars.push(car);
    await car.connect();
    await report(car, options.first);
    await waitFor(async () => (await vehicle(id)).state === 'available', 10_000, `${id} available`);
    return car;
  }

  const vehicle = async (id: string) => (await api<VehicleBody>(`/vehicles/${id}`, { token: operator })).body;

  /** The car publishes a sample; resolves once the gateway stored it as the car's latest state. */
  async function report(car: SimulatedCar, overrides: Partial<WireSample> = {}): Promise<WireSample> {
    const sample = await car.publishSample(overrides);
    const at = new Date(sample.ts).toISOString();
    await waitFor(async () => (await vehicle(car.vehicleId)).lastFixAt === at, 10_000, `fix ${at} stored`);
    return sample;
  }

  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const eventsOf = async (id: string) =>
    (
      await db.client.query<{ event_type: string }>(
        `SELECT event_type FROM vehicle_events WHERE vehicle_id = $1 AND event_type NOT LIKE 'comms_%' ORDER BY id`,
        [id],
      )
    ).rows.map((r) => r.event_type);
  const nearbyIds = async (at = ALEX) =>
    (
      await api<{ vehicles: { id: string }[] }>(
        `/vehicles/nearby?lat=${at.lat}&lon=${at.lon}&radius=5000&limit=100`,
      )
    ).body.vehicles.map((v) => v.id);

  beforeAll(async () => {
    db = await createTestDatabase();
    broker = await startMosquitto();
    gateway = await startService('telemetry-gateway', await freePort(), {
      DATABASE_URL: db.url,
      MQTT_URL: broker.url,
      GATEWAY_INSTANCE_ID: `t${randomBytes(4).toString('hex')}`,
    });
    booking = await startService('booking', await freePort(), {
      DATABASE_URL: db.url,
      MQTT_URL: broker.url,
      FLEET_OPERATOR_EMAIL: 'ops@fleet.test',
      FLEET_OPERATOR_PASSWORD: 'ops-password',
      PASSWORD_ARGON2_MEMORY_KIB: '1024',
      PASSWORD_ARGON2_TIME_COST: '1',
      THROTTLE_AUTH_PER_MIN: '1000',
      THROTTLE_WRITES_PER_MIN: '1000',
      VEHICLE_COMMAND_TIMEOUT_S: '3',
      NEARBY_INDEX_RESYNC_MS: '1000',
    });
    listener = await mqtt.connectAsync(broker.url);
    await listener.subscribeAsync(VEHICLE_CHANGES_PATTERN);
    listener.on('message', (_topic, payload) => {
      // Nest's MQTT transport wraps events as {pattern, data}.
      const { data } = JSON.parse(payload.toString()) as { data: { changes: VehicleChange[] } };
      streamed.push(...data.changes);
    });
    client = new BookingApi(booking.baseUrl);
    operator = await client.login('ops@fleet.test', 'ops-password');
    for (const zone of [
      { name: 'Berlin', kind: 'business_area', geometry: square(13.3, 52.45, 13.55, 52.6) },
      {
        name: 'Platz am Ostrand',
        kind: 'no_parking',
        geometry: square(
          NO_PARKING.lon - 0.0008,
          NO_PARKING.lat - 0.0005,
          NO_PARKING.lon + 0.0008,
          NO_PARKING.lat + 0.0005,
        ),
      },
    ]) {
      expect((await api('/zones', { method: 'POST', token: operator, body: zone })).status).toBe(201);
    }
  }, 60_000);

  afterAll(async () => {
    await Promise.all(cars.map((c) => c.disconnect().catch(() => undefined)));
    await listener?.endAsync();
    await booking?.kill('SIGTERM');
    await gateway?.kill('SIGTERM');
    await broker?.stop();
    await db?.drop();
  });

  it('a whole trip: nearby, reserve, start (the car unlocks), drive, park, resume, end: priced, with a route', async () => {
    const car = await addCar('TRIP-0001', ALEX);
    const driver = await client.driver('journey');
    expect(await nearbyIds()).toContain('TRIP-0001');

    const reservation = await api('/reservations', {
      method: 'POST',
      token: driver,
      body: { vehicleId: 'TRIP-0001' },
    });
    expect(reservation.status).toBe(201);
    expect(car.locked).toBe(true);

    const started = await api('/trips', {
      method: 'POST',
      token: driver,
      body: { reservationId: reservation.body.id },
    });
    expect(started.status).toBe(201);
    expect(started.body).toMatchObject({
      vehicleId: 'TRIP-0001',
      status: 'active',
      startedAt: expect.any(String),
    });
    expect(car.locked).toBe(false);
    expect(car.receivedCommands.map((c) => c.type)).toEqual(['unlock']);
    expect((await api(`/reservations/${reservation.body.id}`, { token: driver })).body.status).toBe(
      'converted',
    );
    expect((await vehicle('TRIP-0001')).state).toBe('on_trip');
    const tripId = started.body.id;
    await car.publishSample();

    // Drive 300 m east: 12 fixes 25 m apart, half a second apart (180 km/h stays under the plausibility limit).
    car.ignition = true;
    car.speedKmh = 40;
    for (let i = 0; i < 12; i++) {
      await sleep(500);
      car.move(0, 25);
      await car.publishSample();
    }
    car.ignition = false;
    car.speedKmh = 0;
    await sleep(500);
    await report(car);

    const parked = await api(`/trips/${tripId}/park`, { method: 'POST', token: driver });
    expect(parked.status).toBe(200);
    expect(parked.body.status).toBe('parked');
    expect(car.locked).toBe(true);
    expect((await vehicle('TRIP-0001')).state).toBe('stopped');
    await sleep(1100);
    const resumed = await api(`/trips/${tripId}/resume`, { method: 'POST', token: driver });
    expect(resumed.body.status).toBe('active');
    expect(resumed.body.parkedS).toBeGreaterThanOrEqual(1);
    expect(car.locked).toBe(false);

    await report(car);
    const ended = await api(`/trips/${tripId}/end`, { method: 'POST', token: driver });
    expect(ended.status).toBe(200);
    expect(ended.body).toMatchObject({ id: tripId, vehicleId: 'TRIP-0001', status: 'completed' });
    expect(car.locked).toBe(true);
    expect(ended.body.durationS).toBeGreaterThanOrEqual(7);
    expect(ended.body.distanceM).toBeGreaterThan(290);
    expect(ended.body.distanceM).toBeLessThan(310);
    const price = ended.body.price!;
    expect(price.currency).toBe('EUR');
    expect(price.lines).toEqual(
      expect.arrayContaining([
        { kind: 'unlock', quantity: 1, unitCents: 100, amountCents: 100 },
        { kind: 'drive', quantity: 1, unitCents: 29, amountCents: 29 },
        { kind: 'park', quantity: 1, unitCents: 19, amountCents: 19 },
      ]),
    );
    expect(price.totalCents).toBe(148);

    // The car reports its lock right after confirming it.
    await waitFor(async () => (await vehicle('TRIP-0001')).locked === true, 10_000, 'lock reported');
    expect((await vehicle('TRIP-0001')).state).toBe('available');
    expect(await eventsOf('TRIP-0001')).toEqual([
      'reservation_start',
      'reservation_stop',
      'trip_start',
      'trip_stop',
      'trip_resume',
      'trip_stop',
      'trip_end',
    ]);
    expect(await nearbyIds()).toContain('TRIP-0001');

    const route = await api<FeatureBody>(`/trips/${tripId}/route`, { token: driver });
    expect(route.status).toBe(200);
    expect(route.body.type).toBe('Feature');
    expect(route.body.geometry!.type).toBe('LineString');
    expect(route.body.geometry!.coordinates.length).toBeGreaterThanOrEqual(13);
    expect(route.body.properties.timestamps).toHaveLength(route.body.geometry!.coordinates.length);
    const [lon0] = route.body.geometry!.coordinates[0];
    const [lonN] = route.body.geometry!.coordinates.at(-1)!;
    expect(lonN).toBeGreaterThan(lon0);

    const mine = await api<{ trips: TripBody[] }>('/me/trips', { token: driver });
    expect(mine.body.trips.map((t) => [t.id, t.status])).toEqual([[tripId, 'completed']]);
    expect((await api(`/trips/${tripId}`, { token: driver })).body.price).toEqual(price);
  }, 60_000);

  it('no answer to unlock: 504 VEHICLE_TIMEOUT, no trip, the reservation stays; a retry starts it', async () => {
    const car = await addCar('SILENT-0001', eastOf(ALEX, 400), { commands: 'ignore' });
    const driver = await client.driver('silent');
    const reservation = await api('/reservations', {
      method: 'POST',
      token: driver,
      body: { vehicleId: 'SILENT-0001' },
    });
    const started = Date.now();
    const res = await api('/trips', {
      method: 'POST',
      token: driver,
      body: { reservationId: reservation.body.id },
    });
    expect(res.status).toBe(504);
    expect(res.body).toMatchObject({ statusCode: 504, code: 'VEHICLE_TIMEOUT' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(2500);
    expect(car.receivedCommands.map((c) => c.type)).toEqual(['unlock']);
    expect((await api(`/reservations/${reservation.body.id}`, { token: driver })).body.status).toBe('active');
    expect((await vehicle('SILENT-0001')).state).toBe('reserved');
    expect((await db.client.query(`SELECT 1 FROM trips WHERE vehicle_id = 'SILENT-0001'`)).rowCount).toBe(0);

    car.commandBehaviour = 'obey';
    const retry = await api('/trips', {
      method: 'POST',
      token: driver,
      body: { reservationId: reservation.body.id },
    });
    expect(retry.status).toBe(201);
    expect(car.locked).toBe(false);
  }, 30_000);

  it('a car that refuses to unlock: 502 VEHICLE_REJECTED; a direct start lets the car go again', async () => {
    await addCar('REFUSE-0001', eastOf(ALEX, 500), { commands: 'refuse' });
    const driver = await client.driver('refused');
    const res = await api('/trips', { method: 'POST', token: driver, body: { vehicleId: 'REFUSE-0001' } });
    expect(res.status).toBe(502);
    expect(res.body).toMatchObject({ statusCode: 502, code: 'VEHICLE_REJECTED' });
    expect(await nearbyIds()).toContain('REFUSE-0001');
    expect(await eventsOf('REFUSE-0001')).toEqual(['reservation_start', 'provider_cancellation']);
    // The driver is free to book another car.
    const other = await api('/trips', { method: 'POST', token: driver, body: { vehicleId: 'TRIP-0001' } });
    expect(other.status).toBe(201);
  }, 30_000);

  it('refuses to end on a stale position, outside the business area (with the distance), in a no-parking zone, with ignition on or doors open; the trip stays active', async () => {
    const t0 = Date.now();
    const car = await addCar('END-0001', NO_PARKING, {
      first: { ts: t0 - 280_000 },
      // no report after the unlock: the last fix stays old
      reportAfterCommand: false,
    });
    const driver = await client.driver('ender');
    const trip = await api('/trips', { method: 'POST', token: driver, body: { vehicleId: 'END-0001' } });
    expect(trip.status).toBe(201);
    const end = () => api(`/trips/${trip.body.id}/end`, { method: 'POST', token: driver });
    const refused = async (code: string) => {
      const res = await end();
      expect(res.status).toBe(422);
      expect(res.body).toMatchObject({ statusCode: 422, code, message: expect.any(String) });
      expect((await api(`/trips/${trip.body.id}`, { token: driver })).body.status).toBe('active');
      return res.body;
    };

    await refused('STALE_POSITION');

    // About 136 m east of the business area's edge (13.55).
    const outside = { lat: NO_PARKING.lat, lon: 13.552 };
    Object.assign(car, outside);
    await report(car, { ts: Date.now() - 100_000 });
    const far = await refused('OUTSIDE_BUSINESS_AREA');
    expect(far.distanceToBusinessAreaM).toBeGreaterThan(125);
    expect(far.distanceToBusinessAreaM).toBeLessThan(145);

    Object.assign(car, NO_PARKING);
    await report(car, { ts: Date.now() - 60_000 });
    await refused('IN_NO_PARKING_ZONE');

    Object.assign(car, eastOf(NO_PARKING, -200));
    car.ignition = true;
    await report(car);
    await refused('IGNITION_ON');

    car.ignition = false;
    car.doorsClosed = false;
    await report(car);
    await refused('DOORS_OPEN');
    expect(car.receivedCommands.map((c) => c.type)).toEqual(['unlock']);

    car.doorsClosed = true;
    await report(car);
    const ok = await end();
    expect(ok.status).toBe(200);
    expect(ok.body.status).toBe('completed');
  }, 30_000);

  it('a cancelled or expired reservation frees the real car at once', async () => {
    await addCar('HOLD-0001', eastOf(ALEX, 900));
    const driver = await client.driver('holder');
    const streamedBefore = streamed.length;
    const first = await api('/reservations', {
      method: 'POST',
      token: driver,
      body: { vehicleId: 'HOLD-0001' },
    });
    expect((await vehicle('HOLD-0001')).state).toBe('reserved');
    expect(await nearbyIds()).not.toContain('HOLD-0001');
    const cancelled = await api(`/reservations/${first.body.id}`, { method: 'DELETE', token: driver });
    expect(cancelled.body.status).toBe('cancelled');
    expect((await vehicle('HOLD-0001')).state).toBe('available');
    // Booking's own state changes reach the state stream, as the gateway's do.
    const statesStreamed = () =>
      streamed
        .slice(streamedBefore)
        // booking's own announcements (the gateway's carry 'online' or 'position' too)
        .filter((c) => c.id === 'HOLD-0001' && c.kinds.join() === 'state')
        .map((c) => c.state);
    await waitFor(
      () => statesStreamed().join() === 'reserved,available',
      2000,
      'reserved, then available, streamed',
    ).catch((err: Error) => {
      throw new Error(`${err.message}; streamed: ${statesStreamed().join()}`);
    });

    const second = await api('/reservations', {
      method: 'POST',
      token: driver,
      body: { vehicleId: 'HOLD-0001' },
    });
    // The 20 free minutes, run out.
    await db.client.query(`UPDATE reservations SET expires_at = now() WHERE id = $1`, [second.body.id]);
    await waitFor(async () => (await nearbyIds()).includes('HOLD-0001'), 5000, 'car bookable again');
    expect((await api(`/reservations/${second.body.id}`, { token: driver })).body.status).toBe('expired');
    expect(await eventsOf('HOLD-0001')).toEqual([
      'reservation_start',
      'customer_cancellation',
      'reservation_start',
      'provider_cancellation',
    ]);
  });

  it('drivers see only their own trips (404 otherwise); drivers get 403 on operator routes; unknown fields 400', async () => {
    const [tripA] = (
      await db.client.query<{ id: string }>(`SELECT id FROM trips WHERE vehicle_id = 'SILENT-0001'`)
    ).rows;
    const b = await client.driver('nosy');
    for (const [method, path] of [
      ['GET', `/trips/${tripA.id}`],
      ['GET', `/trips/${tripA.id}/route`],
      ['POST', `/trips/${tripA.id}/park`],
      ['POST', `/trips/${tripA.id}/end`],
    ]) {
      const res = await api(path, { method, token: b });
      expect([path, res.status, res.body.code]).toEqual([path, 404, 'TRIP_NOT_FOUND']);
    }
    expect((await api(`/trips/${tripA.id}`, { token: operator })).status).toBe(200);
    expect((await api('/me/trips', { token: b })).body).toEqual({ trips: [] });

    for (const [method, path, body] of [
      ['POST', '/vehicles', { id: 'X-1', plate: 'X', model: 'X', propulsion: 'electric' }],
      ['GET', '/vehicles', undefined],
      ['GET', '/vehicles/TRIP-0001', undefined],
      ['PATCH', '/vehicles/TRIP-0001', { operationalStatus: 'maintenance' }],
      ['GET', '/vehicles/TRIP-0001/track', undefined],
      ['POST', '/vehicles/TRIP-0001/commands', { type: 'unlock' }],
      ['GET', '/telemetry/rejects', undefined],
    ] as const) {
      const res = await api(path, { method, token: b, body });
      expect([method, path, res.status]).toEqual([method, path, 403]);
    }
    expect(
      (await api('/trips', { method: 'POST', token: operator, body: { vehicleId: 'TRIP-0001' } })).status,
    ).toBe(403);

    const unknown = await api('/trips', {
      method: 'POST',
      token: b,
      body: { vehicleId: 'TRIP-0001', promo: 'FREE' },
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.fields).toEqual([{ field: 'promo', problems: ['property promo should not exist'] }]);
    const both = await api('/trips', {
      method: 'POST',
      token: b,
      body: { vehicleId: 'TRIP-0001', reservationId: tripA.id },
    });
    expect(both.body).toMatchObject({ statusCode: 400, code: 'VALIDATION_FAILED' });
    expect((await api('/trips', { method: 'POST', token: b, body: {} })).body.code).toBe('VALIDATION_FAILED');
  });

  it('operators register cars (credentials once), see their state, put them into maintenance, read tracks, send commands, inspect the quarantine', async () => {
    const reg = await api<VehicleBody>('/vehicles', {
      method: 'POST',
      token: operator,
      body: { id: 'OPS-0001', plate: 'B-OP 1', model: 'Renault Zoe', propulsion: 'electric' },
    });
    expect(reg.status).toBe(201);
    expect(reg.body.mqtt).toEqual({
      username: 'OPS-0001',
      password: expect.stringMatching(/^[A-Za-z0-9_-]{32}$/),
    });
    expect(reg.body).toMatchObject({ lat: null, lon: null, lastFixAt: null, state: 'non_contactable' });
    const [stored] = (
      await db.client.query<{ hash: string }>(
        `SELECT mqtt_password_hash AS hash FROM vehicles WHERE id = 'OPS-0001'`,
      )
    ).rows;
    expect(stored.hash).toMatch(/^\$7\$/);
    expect(stored.hash).not.toContain(reg.body.mqtt!.password);
    expect((await api<VehicleBody>('/vehicles/OPS-0001', { token: operator })).body).not.toHaveProperty(
      'mqtt',
    );
    const again = await api<VehicleBody>('/vehicles', {
      method: 'POST',
      token: operator,
      body: { id: 'OPS-0001', plate: 'B-OP 1', model: 'Renault Zoe', propulsion: 'electric' },
    });
    expect(again.body).toMatchObject({ statusCode: 409, code: 'VEHICLE_EXISTS' });

    const car = await addCar('OPS-0002', eastOf(ALEX, 700));
    const list = await api<{ vehicles: VehicleBody[] }>('/vehicles', { token: operator });
    expect(list.body.vehicles.find((v) => v.id === 'OPS-0002')).toMatchObject({
      online: true,
      state: 'available',
      batteryPct: 80,
    });

    const maintenance = await api<VehicleBody>('/vehicles/OPS-0002', {
      method: 'PATCH',
      token: operator,
      body: { operationalStatus: 'maintenance' },
    });
    expect(maintenance.body).toMatchObject({ operationalStatus: 'maintenance', state: 'non_operational' });
    expect(await nearbyIds()).not.toContain('OPS-0002');
    const back = await api<VehicleBody>('/vehicles/OPS-0002', {
      method: 'PATCH',
      token: operator,
      body: { operationalStatus: 'active' },
    });
    expect(back.body.state).toBe('available');
    expect(await eventsOf('OPS-0002')).toEqual(['service_end', 'service_start']);

    const honk = await api<{ type: string; status: string }>('/vehicles/OPS-0002/commands', {
      method: 'POST',
      token: operator,
      body: { type: 'honk' },
    });
    expect(honk.status).toBe(201);
    expect(honk.body).toMatchObject({ type: 'honk', status: 'succeeded' });

    car.move(0, 10);
    await report(car);
    const track = await api<FeatureBody>('/vehicles/OPS-0002/track', { token: operator });
    expect(track.body.geometry!.coordinates).toHaveLength(2);
    expect(track.body.properties.timestamps).toHaveLength(2);
    const badRange = await api('/vehicles/OPS-0002/track?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z', {
      token: operator,
    });
    expect(badRange.body.code).toBe('VALIDATION_FAILED');

    await car.publishRaw('{"ts": 1, "lat": oops}');
    const rejects = async () =>
      (
        await api<{ rejects: { reason: string; payload: string; vehicleId: string }[] }>(
          '/telemetry/rejects?vehicleId=OPS-0002',
          { token: operator },
        )
      ).body.rejects;
    await waitFor(async () => (await rejects()).length > 0, 10_000, 'the reject listed');
    expect((await rejects())[0]).toMatchObject({
      vehicleId: 'OPS-0002',
      reason: 'MALFORMED_JSON',
      payload: '{"ts": 1, "lat": oops}',
    });
  }, 30_000);
});
