import { SimulatedCar } from '@fleet/simulator';
import {
  createTestDatabase,
  freePort,
  insertVehicles,
  openTestSession,
  MosquittoInstance,
  ServiceProcess,
  startMosquitto,
  startService,
  TestDatabase,
  waitFor,
} from '@fleet/testing';
import { io, Socket } from 'socket.io-client';
import { BookingApi } from './booking-api';
import { startBooking, startGateway, TEST_OPERATOR } from './platform';

interface LiveVehicle {
  id: string;
  lat: number;
  lon: number;
  state: string;
  locked: boolean | null;
  online: boolean;
  batteryPct?: number;
  updatedAt: string;
}
interface Updates {
  vehicles: LiveVehicle[];
  removed: string[];
}
interface Stats {
  total: number;
  byState: Record<string, number>;
}
type Bbox = [number, number, number, number];

/** An operator's socket: everything it heard, in order, with arrival times. */
class Viewer {
  readonly snapshots: LiveVehicle[][] = [];
  readonly updates: (Updates & { at: number })[] = [];
  readonly stats: Stats[] = [];

  constructor(readonly socket: Socket) {
    socket.on('snapshot', (s: { vehicles: LiveVehicle[] }) => this.snapshots.push(s.vehicles));
    socket.on('updates', (u: Updates) => this.updates.push({ ...u, at: Date.now() }));
    socket.on('stats', (s: Stats) => this.stats.push(s));
  }

  /** Subscribes and resolves with the ack and the snapshot that follows it. */
  async subscribe(body: unknown): Promise<{ ack: unknown; snapshot: LiveVehicle[] }> {
    const before = this.snapshots.length;
    const ack = await this.socket.timeout(5000).emitWithAck('subscribe', body);
    if ((ack as { ok: boolean }).ok) await waitFor(() => this.snapshots.length > before, 5000, 'snapshot');
    return { ack, snapshot: this.snapshots[this.snapshots.length - 1] };
  }

  /** The first update after `since` (epoch ms) that `match` accepts. */
  async updateAfter(since: number, match: (u: Updates) => boolean, timeoutMs = 5000) {
    return waitFor(() => this.updates.find((u) => u.at >= since && match(u)), timeoutMs, 'a matching update');
  }
}

/**
 * The live map end to end: gateway, booking and two live-map instances as processes on real
 * PostgreSQL/PostGIS and Mosquitto; cars are MQTT clients; operators are socket.io clients.
 */
describe('live map (gateway, booking, two live-map instances, Mosquitto, socket.io clients)', () => {
  let db: TestDatabase;
  let broker: MosquittoInstance;
  let gateway: ServiceProcess;
  let booking: ServiceProcess;
  const liveMaps: ServiceProcess[] = [];
  let api: BookingApi;
  let operator: string;
  let driver: string;
  const cars = new Map<string, SimulatedCar>();
  const sockets: Socket[] = [];
  /** Berlin Mitte, and a 5 x 4 grid of cars about 1 km apart, 12 of them inside it. */
  const MITTE: Bbox = [13.37, 52.505, 13.43, 52.535];
  const ids = Array.from({ length: 20 }, (_, i) => `LM-${String(i).padStart(2, '0')}`);

  async function open(instance: ServiceProcess, token?: string): Promise<Viewer> {
    const socket = io(`${instance.baseUrl}/live`, {
      auth: token === undefined ? {} : { token },
      transports: ['websocket'],
      reconnection: false,
    });
    sockets.push(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('connect_error', reject);
    });
    return new Viewer(socket);
  }

  /** The connect_error message a handshake with this token gets. */
  async function refusal(token?: string): Promise<string> {
    return open(liveMaps[0], token).then(
      () => 'connected',
      (err: Error) => err.message,
    );
  }

  /** Publishes a sample and waits until the gateway stored it. */
  async function report(car: SimulatedCar): Promise<number> {
    const publishedAt = Date.now();
    const sample = await car.publishSample();
    await waitFor(
      async () =>
        (
          await db.client.query(`SELECT 1 FROM vehicle_state WHERE vehicle_id = $1 AND fix_at = $2`, [
            car.vehicleId,
            new Date(sample.ts),
          ])
        ).rowCount === 1,
      10_000,
      `${car.vehicleId} stored`,
    );
    return publishedAt;
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    broker = await startMosquitto();
    const common = { DATABASE_URL: db.url, MQTT_URL: broker.url };
    // The cars here jump across the city within a second; the plausibility screen is not under test.
    gateway = await startGateway(common, { TELEMETRY_MAX_IMPLIED_SPEED_KMH: '1000000' });
    booking = await startBooking(common);
    api = new BookingApi(booking.baseUrl);
    operator = await api.login(TEST_OPERATOR.email, TEST_OPERATOR.password);
    driver = await api.driver('live');
    const area = {
      type: 'Polygon',
      coordinates: [
        [
          [13.2, 52.4],
          [13.6, 52.4],
          [13.6, 52.6],
          [13.2, 52.6],
          [13.2, 52.4],
        ],
      ],
    };
    const zone = await api.call('/zones', {
      method: 'POST',
      token: operator,
      body: { name: 'Berlin', kind: 'business_area', geometry: area },
    });
    expect(zone.status).toBe(201);
    await insertVehicles(db.client, ids);
    await Promise.all(
      ids.map(async (id, i) => {
        const car = new SimulatedCar({
          url: broker.url,
          vehicleId: id,
          lat: 52.5 + Math.floor(i / 5) * 0.01,
          lon: 13.38 + (i % 5) * 0.015,
        });
        cars.set(id, car);
        await car.connect();
        await report(car);
      }),
    );
    // Two instances side by side, each following the state stream on its own.
    for (let i = 0; i < 2; i++) {
      liveMaps.push(
        await startService('live-map', await freePort(), { ...common, LIVE_MAP_STATS_INTERVAL_MS: '1000' }),
      );
    }
  }, 90_000);

  afterAll(async () => {
    for (const s of sockets) s.disconnect();
    await Promise.all([...cars.values()].map((c) => c.disconnect().catch(() => undefined)));
    await Promise.all([...liveMaps, booking, gateway].map((s) => s?.kill()));
    await broker?.stop();
    await db?.drop();
  }, 30_000);

  it('refuses a socket without a token, with a forged one (UNAUTHORIZED) and a driver (FORBIDDEN)', async () => {
    expect(await refusal()).toBe('UNAUTHORIZED');
    expect(await refusal('not-a-jwt')).toBe('UNAUTHORIZED');
    const { token: forged } = await openTestSession(db.client, 'admin', {
      secret: 'another-secret-of-at-least-32-characters',
    });
    expect(await refusal(forged)).toBe('UNAUTHORIZED');
    expect(await refusal(driver)).toBe('FORBIDDEN');
    expect(await refusal(operator)).toBe('connected');
  });

  it('sends a snapshot of exactly the cars the database has inside the viewport', async () => {
    const viewer = await open(liveMaps[0], operator);
    const { ack, snapshot } = await viewer.subscribe({ bbox: MITTE, zoom: 14 });
    expect(ack).toEqual({ ok: true });
    const { rows } = await db.client.query<{ id: string; lat: number; lon: number; state: string }>(
      `SELECT vehicle_id AS id, ST_Y(position::geometry) AS lat, ST_X(position::geometry) AS lon, state
         FROM vehicle_state
        WHERE ST_X(position::geometry) BETWEEN $1 AND $3 AND ST_Y(position::geometry) BETWEEN $2 AND $4
        ORDER BY vehicle_id`,
      MITTE,
    );
    expect(rows.length).toBeGreaterThan(5);
    expect(rows.length).toBeLessThan(ids.length);
    const got = [...snapshot].sort((a, b) => a.id.localeCompare(b.id));
    expect(got.map((v) => v.id)).toEqual(rows.map((r) => r.id));
    for (const [i, v] of got.entries()) {
      expect(v.lat).toBeCloseTo(rows[i].lat, 9);
      expect(v.lon).toBeCloseTo(rows[i].lon, 9);
      expect(v).toMatchObject({ state: rows[i].state, locked: true, online: true, batteryPct: 80 });
    }
  });

  it('delivers a car publishing over MQTT in updates within 1 s, and removes it when it leaves the viewport', async () => {
    const viewer = await open(liveMaps[0], operator);
    const { snapshot } = await viewer.subscribe({ bbox: MITTE });
    const car = cars.get(snapshot[0].id)!;
    car.move(100, 100);
    const sentAt = Date.now();
    await car.publishSample();
    const update = await viewer.updateAfter(sentAt, (u) => u.vehicles.some((v) => v.id === car.vehicleId));
    expect(update.at - sentAt).toBeLessThan(1000);
    const seen = update.vehicles.find((v) => v.id === car.vehicleId)!;
    expect(seen.lat).toBeCloseTo(car.lat, 6);
    expect(seen.lon).toBeCloseTo(car.lon, 6);

    // Off to Potsdam: out of the viewport.
    car.lat = 52.39;
    car.lon = 13.06;
    const leftAt = Date.now();
    await car.publishSample();
    const removal = await viewer.updateAfter(leftAt, (u) => u.removed.includes(car.vehicleId));
    expect(removal.vehicles.map((v) => v.id)).not.toContain(car.vehicleId);
    // Back into view: it is added again.
    car.lat = 52.52;
    car.lon = 13.4;
    const backAt = Date.now();
    await car.publishSample();
    await viewer.updateAfter(backAt, (u) => u.vehicles.some((v) => v.id === car.vehicleId));
  });

  it('filters by state: a reserved car appears for a "reserved" viewer and leaves it when the reservation ends', async () => {
    const viewer = await open(liveMaps[1], operator);
    const { snapshot } = await viewer.subscribe({ bbox: MITTE, filter: { states: ['reserved'] } });
    expect(snapshot).toEqual([]);
    const id = ids[7];
    const since = Date.now();
    const reservation = await api.call('/reservations', {
      method: 'POST',
      token: driver,
      body: { vehicleId: id },
    });
    expect(reservation.status).toBe(201);
    const added = await viewer.updateAfter(since, (u) => u.vehicles.some((v) => v.id === id));
    expect(added.vehicles.find((v) => v.id === id)!.state).toBe('reserved');
    const cancelledAt = Date.now();
    const cancel = await api.call(`/reservations/${reservation.body.id}`, {
      method: 'DELETE',
      token: driver,
    });
    expect(cancel.status).toBe(200);
    await viewer.updateAfter(cancelledAt, (u) => u.removed.includes(id));
    // No update ever carried a car of another state.
    expect(viewer.updates.flatMap((u) => u.vehicles).every((v) => v.state === 'reserved')).toBe(true);
  });

  it('two instances both deliver the same change', async () => {
    const [a, b] = [await open(liveMaps[0], operator), await open(liveMaps[1], operator)];
    await Promise.all([a.subscribe({ bbox: MITTE }), b.subscribe({ bbox: MITTE })]);
    const car = cars.get(ids[12])!;
    car.move(-50, 30);
    const since = Date.now();
    await car.publishSample();
    const seen = await Promise.all(
      [a, b].map((v) => v.updateAfter(since, (u) => u.vehicles.some((x) => x.id === car.vehicleId))),
    );
    for (const u of seen) expect(u.vehicles.find((v) => v.id === car.vehicleId)!.lat).toBeCloseTo(car.lat, 6);
  });

  it('coalesces: never two updates to one socket within 500 ms, each car once per update in its latest state', async () => {
    const viewer = await open(liveMaps[0], operator);
    await viewer.subscribe({ bbox: MITTE });
    const car = cars.get(ids[8])!;
    const since = Date.now();
    // Ten fixes 30 ms apart (distinct fix times: the gateway keeps only a newer fix as the latest).
    for (let i = 0; i < 10; i++) {
      car.move(10, 0);
      await car.publishSample();
      await new Promise((r) => setTimeout(r, 30));
    }
    const lat = car.lat;
    await viewer.updateAfter(since, (u) =>
      u.vehicles.some((v) => v.id === car.vehicleId && Math.abs(v.lat - lat) < 1e-9),
    );
    const times = viewer.updates.map((u) => u.at);
    for (let i = 1; i < times.length; i++) expect(times[i] - times[i - 1]).toBeGreaterThanOrEqual(450);
    for (const u of viewer.updates) expect(new Set(u.vehicles.map((v) => v.id)).size).toBe(u.vehicles.length);
  });

  it('sends stats with the counts by state the database has', async () => {
    const viewer = await open(liveMaps[1], operator);
    await waitFor(() => viewer.stats.length >= 2, 5000, 'two stats');
    const last = viewer.stats[viewer.stats.length - 1];
    const { rows } = await db.client.query<{ state: string; n: number }>(
      `SELECT state, count(*)::int AS n FROM vehicle_state GROUP BY state`,
    );
    expect(last.total).toBe(rows.reduce((sum, r) => sum + r.n, 0));
    for (const r of rows) expect(last.byState[r.state]).toBe(r.n);
    expect(Object.keys(last.byState)).toEqual(expect.arrayContaining(['available', 'reserved', 'on_trip']));
  });

  it('answers a bad subscribe with an error ack and keeps the socket usable', async () => {
    const viewer = await open(liveMaps[0], operator);
    const { ack } = await viewer.subscribe({ bbox: [13.43, 52.5, 13.37, 52.53] });
    expect(ack).toEqual({
      ok: false,
      error: { code: 'INVALID_SUBSCRIPTION', message: expect.stringMatching(/west < east/) },
    });
    const bad = await viewer.subscribe({ bbox: MITTE, filter: { states: ['parked'] } });
    expect(bad.ack).toMatchObject({ ok: false, error: { message: expect.stringMatching(/parked/) } });
    const good = await viewer.subscribe({ bbox: MITTE });
    expect(good.ack).toEqual({ ok: true });
    expect(good.snapshot.length).toBeGreaterThan(0);
  });

  it('disconnects a socket when its token expires', async () => {
    const { token: shortLived } = await openTestSession(db.client, 'support', { ttlS: 2 });
    const viewer = await open(liveMaps[0], shortLived);
    const reason = await new Promise<string>((resolve) => viewer.socket.once('disconnect', resolve));
    expect(reason).toBe('io server disconnect');
  });
});
