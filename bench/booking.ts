/**
 * Booking benchmark (`npm run bench:booking`): 200 drivers race for 10 cars through the booking
 * service's HTTP API, against the real PostgreSQL/PostGIS.
 * - burst: in each round every driver asks for a car at the same moment (20 drivers per car);
 *   exactly one per car may win; the winners cancel (not measured) and the next round starts.
 * - churn: every driver loops for a while: reserve a random car, cancel it at once when won.
 * Double bookings are counted in SQL from the cars' event log: two `reservation_start` events of one
 * car with no release between them. Results: stdout and bench/results/booking.json.
 *
 * Settings (environment): BENCH_CLIENTS (200), BENCH_CARS (10), BENCH_ROUNDS (20), BENCH_CHURN_S (30).
 */
import {
  createTestDatabase,
  freePort,
  insertVehicles,
  prepareTemplateDatabase,
  startService,
  TestDatabase,
} from '@fleet/testing';
import { resolve } from 'node:path';
import { Client } from 'pg';
import {
  Cleanup,
  intEnv,
  killService,
  log,
  machineDetails,
  printTable,
  quantile,
  round,
  runBenchmark,
  writeResult,
} from './common';
import { CLOCK_TICKS_PER_S, ticksOf } from './proc';

const RESULTS = resolve(__dirname, 'results/booking.json');
const params = {
  clients: intEnv('BENCH_CLIENTS', 200),
  cars: intEnv('BENCH_CARS', 10),
  rounds: intEnv('BENCH_ROUNDS', 20),
  churnS: intEnv('BENCH_CHURN_S', 30),
};
const CENTRE = { lat: 52.5219, lon: 13.4132 };
const cleanup = new Cleanup();

interface Answer {
  status: number;
  body: { id?: string; code?: string; accessToken?: string };
  ms: number;
}

async function call(
  base: string,
  path: string,
  method: string,
  token?: string,
  body?: unknown,
): Promise<Answer> {
  const t0 = performance.now();
  const res = await fetch(`${base}/api/v1${path}`, {
    method,
    headers: {
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return {
    status: res.status,
    body: text ? (JSON.parse(text) as Answer['body']) : {},
    ms: performance.now() - t0,
  };
}

/** Cars where the gateway would have them: online, available, a fresh fix, charged, in the business area. */
async function placeCars(db: TestDatabase, ids: string[]): Promise<void> {
  await insertVehicles(db.client, ids, 'electric');
  await db.client.query(
    `INSERT INTO zones (name, kind, geometry)
     VALUES ('bench city', 'business_area', ST_Multi(ST_MakeEnvelope(13.3, 52.45, 13.55, 52.6, 4326))::geography)`,
  );
  await db.client.query(
    `UPDATE vehicle_state SET position = ST_SetSRID(ST_MakePoint($2 + random() * 0.01, $3 + random() * 0.01), 4326)::geography,
            fix_at = now(), online = true, state = 'available', battery_pct = 80, locked = true,
            last_seen_at = now()
      WHERE vehicle_id = ANY($1)`,
    [ids, CENTRE.lon, CENTRE.lat],
  );
}

/** Two reservation starts of one car with no release between them, from the event log. */
async function doubleBookings(db: Client, ids: string[]): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM (
       SELECT event_type, lag(event_type) OVER (PARTITION BY vehicle_id ORDER BY id) AS previous
         FROM vehicle_events WHERE vehicle_id = ANY($1) AND event_type <> 'comms_restored'
     ) e WHERE event_type = 'reservation_start' AND previous = 'reservation_start'`,
    [ids],
  );
  return rows[0].n;
}

function latency(ms: number[]) {
  const sorted = [...ms].sort((a, b) => a - b);
  const q = (p: number) => round(quantile(sorted, p) ?? NaN, 1);
  return { count: sorted.length, p50: q(0.5), p99: q(0.99), max: q(1) };
}

async function main(): Promise<void> {
  const startedAt = new Date();
  const machine = await machineDetails();
  log(`${machine.cpuCount} x ${machine.cpuModel}; ${params.clients} drivers, ${params.cars} cars`);
  await prepareTemplateDatabase();
  const db = await createTestDatabase();
  cleanup.add('database', () => db.drop());
  const carIds = Array.from({ length: params.cars }, (_, i) => `BOOK-${String(i).padStart(3, '0')}`);
  await placeCars(db, carIds);

  const booking = await startService('booking', await freePort(), {
    DATABASE_URL: db.url,
    LOG_LEVEL: 'warn',
    PASSWORD_ARGON2_MEMORY_KIB: '1024',
    PASSWORD_ARGON2_TIME_COST: '1',
    THROTTLE_AUTH_PER_MIN: '1000000',
    THROTTLE_WRITES_PER_MIN: '1000000',
  });
  cleanup.add('booking', () => killService(booking));
  const base = booking.baseUrl;
  const pid = booking.child.pid!;

  log('registering drivers');
  const tokens: string[] = [];
  for (let i = 0; i < params.clients; i += 20) {
    const batch = Array.from(
      { length: Math.min(20, params.clients - i) },
      (_, j) => `bench-${i + j}@example.com`,
    );
    const got = await Promise.all(
      batch.map(async (email) => {
        await call(base, '/auth/register', 'POST', undefined, {
          email,
          password: 'password-123',
          name: email,
        });
        return (await call(base, '/auth/login', 'POST', undefined, { email, password: 'password-123' })).body
          .accessToken!;
      }),
    );
    tokens.push(...got);
  }

  // Burst: everyone at once, 1 winner per car per round.
  log(`burst: ${params.rounds} rounds of ${params.clients} simultaneous requests for ${params.cars} cars`);
  const burstMs: number[] = [];
  const roundWallMs: number[] = [];
  let burstWins = 0;
  let burstLosses = 0;
  let burstErrors = 0;
  let roundsWithOneWinnerPerCar = 0;
  const cpu0 = ticksOf([pid]);
  const burstStart = performance.now();
  for (let r = 0; r < params.rounds; r++) {
    const t0 = performance.now();
    const answers = await Promise.all(
      tokens.map((token, i) =>
        call(base, '/reservations', 'POST', token, { vehicleId: carIds[i % carIds.length] }),
      ),
    );
    roundWallMs.push(performance.now() - t0);
    const winners = answers.map((a, i) => ({ a, token: tokens[i] })).filter((w) => w.a.status === 201);
    burstWins += winners.length;
    burstLosses += answers.filter((a) => a.status === 409).length;
    burstErrors += answers.filter((a) => a.status !== 201 && a.status !== 409).length;
    for (const a of answers) burstMs.push(a.ms);
    if (winners.length === params.cars) roundsWithOneWinnerPerCar++;
    await Promise.all(winners.map((w) => call(base, `/reservations/${w.a.body.id}`, 'DELETE', w.token)));
  }
  const burstS = (performance.now() - burstStart) / 1000;
  /** Time the rounds themselves took (the winners' cancels between them not counted). */
  const roundsS = roundWallMs.reduce((sum, ms) => sum + ms, 0) / 1000;
  const burstCpuPct = ((ticksOf([pid]) - cpu0) / CLOCK_TICKS_PER_S / burstS) * 100;

  // Churn: closed loop, each driver reserves a random car and cancels it as soon as it has it.
  log(`churn: ${params.clients} drivers for ${params.churnS} s`);
  const churnReserveMs: number[] = [];
  const churnCancelMs: number[] = [];
  let churnWins = 0;
  let churnLosses = 0;
  let churnErrors = 0;
  const cpu1 = ticksOf([pid]);
  const churnStart = performance.now();
  const churnEnd = churnStart + params.churnS * 1000;
  await Promise.all(
    tokens.map(async (token) => {
      while (performance.now() < churnEnd) {
        const vehicleId = carIds[Math.floor(Math.random() * carIds.length)];
        const a = await call(base, '/reservations', 'POST', token, { vehicleId });
        churnReserveMs.push(a.ms);
        if (a.status === 201) {
          churnWins++;
          const c = await call(base, `/reservations/${a.body.id}`, 'DELETE', token);
          churnCancelMs.push(c.ms);
          if (c.status !== 200) churnErrors++;
        } else if (a.status === 409) churnLosses++;
        else churnErrors++;
      }
    }),
  );
  const churnS = (performance.now() - churnStart) / 1000;
  const churnCpuPct = ((ticksOf([pid]) - cpu1) / CLOCK_TICKS_PER_S / churnS) * 100;

  const doubles = await doubleBookings(db.client, carIds);
  const { rows } = await db.client.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM reservations WHERE vehicle_id = ANY($1)`,
    [carIds],
  );
  const stored = rows[0].n;

  const result = {
    benchmark: 'booking',
    date: startedAt.toISOString(),
    machine,
    parameters: params,
    burst: {
      rounds: params.rounds,
      requests: burstMs.length,
      reservations: burstWins,
      answered409: burstLosses,
      errors: burstErrors,
      roundsWithExactlyOneWinnerPerCar: roundsWithOneWinnerPerCar,
      requestsPerS: round(burstMs.length / roundsS, 1),
      roundWallMs: latency(roundWallMs),
      latencyMs: latency(burstMs),
      bookingCpuPctOfOneCore: round(burstCpuPct, 1),
    },
    churn: {
      durationS: round(churnS, 1),
      reservationsPerS: round(churnWins / churnS, 1),
      attemptsPerS: round((churnWins + churnLosses) / churnS, 1),
      answered409: churnLosses,
      errors: churnErrors,
      reserveLatencyMs: latency(churnReserveMs),
      cancelLatencyMs: latency(churnCancelMs),
      bookingCpuPctOfOneCore: round(churnCpuPct, 1),
    },
    reservationsStored: stored,
    reservationsAnswered201: burstWins + churnWins,
    doubleBookings: doubles,
  };

  const fmt = (x: number) => String(x);
  printTable([
    [
      'phase',
      'reservations/s',
      'requests/s',
      'p50 ms',
      'p99 ms',
      'max ms',
      '201',
      '409',
      'errors',
      'booking CPU %',
    ],
    [
      'burst (all at once)',
      fmt(round(burstWins / roundsS, 1)),
      fmt(result.burst.requestsPerS),
      fmt(result.burst.latencyMs.p50),
      fmt(result.burst.latencyMs.p99),
      fmt(result.burst.latencyMs.max),
      fmt(burstWins),
      fmt(burstLosses),
      fmt(burstErrors),
      fmt(result.burst.bookingCpuPctOfOneCore),
    ],
    [
      'churn (reserve, cancel)',
      fmt(result.churn.reservationsPerS),
      fmt(result.churn.attemptsPerS),
      fmt(result.churn.reserveLatencyMs.p50),
      fmt(result.churn.reserveLatencyMs.p99),
      fmt(result.churn.reserveLatencyMs.max),
      fmt(churnWins),
      fmt(churnLosses),
      fmt(churnErrors),
      fmt(result.churn.bookingCpuPctOfOneCore),
    ],
  ]);
  console.log(
    `Rounds with exactly one winner per car: ${roundsWithOneWinnerPerCar} of ${params.rounds}. ` +
      `Reservations answered 201: ${burstWins + churnWins}, stored: ${stored}. Double bookings: ${doubles}.`,
  );
  await writeResult(RESULTS, result);
  if (doubles > 0 || stored !== burstWins + churnWins) process.exitCode = 1;
}

runBenchmark(cleanup, main);
