/**
 * Load generator of bench/ingest.ts, run as a child process (child_process.fork) so that its CPU is
 * not counted as the gateway's. It plays many simulated cars over a few MQTT connections: each car
 * publishes single-sample telemetry messages (QoS 1) on its own topic `fleet/v1/vehicles/<id>/telemetry`,
 * in turn, at a fixed total rate, paced in small ticks. `ts` is the publish time in epoch ms, so that
 * the time from publish to commit can be read off the stored history row.
 *
 * IPC (parent -> child): {cmd: 'start', ...PublisherStart}, then {cmd: 'go', atMs}, then {cmd: 'stop'}.
 * IPC (child -> parent): {type: 'ready'}, {type: 'done', stats: PublisherStats}, {type: 'error', message}.
 */
import mqtt, { MqttClient } from 'mqtt';
import type { ChildProcess } from 'node:child_process';
import { Cleanup, forkTs, killChild, nextMessage, prng, round, sleep } from './common';

export interface PublisherStart {
  url: string;
  topicPrefix: string;
  /** Vehicle ids this process plays, and the propulsion of each (true = electric). */
  vehicleIds: string[];
  electric: boolean[];
  /** Messages per second this process publishes in total (each car every vehicleIds.length / rate s). */
  ratePerS: number;
  tickMs: number;
  connections: number;
  /** Most QoS 1 messages awaiting their PUBACK on one connection; beyond it publishing waits (backlog). */
  maxInflightPerConnection: number;
  /** Seed of the cars' starting positions. */
  seed: number;
  clientIdPrefix: string;
}

export interface PublisherStats {
  /** Messages handed to MQTT.js (each one sample). */
  published: number;
  /** Messages the broker acknowledged (PUBACK). */
  acked: number;
  /** Publish callbacks with an error. */
  errors: number;
  /** Largest deficit against the schedule, in messages (the in-flight cap or a slow tick held it back). */
  maxBacklog: number;
  /** Ticks that started more than 2 tick periods late (event loop starved). */
  lateTicks: number;
  /** Messages published in each whole second since the start. */
  perSecond: number[];
  /** Mean payload size in bytes. */
  meanPayloadBytes: number;
  startedAtMs: number;
  stoppedAtMs: number;
}

type ParentMessage = ({ cmd: 'start' } & PublisherStart) | { cmd: 'go'; atMs: number } | { cmd: 'stop' };

const METRES_PER_DEGREE_LAT = 111_320;

/** The cars of this process: plausible city driving, 10-40 km/h (3-11 m/s), gentle turns. */
class Cars {
  readonly n: number;
  private readonly lat: Float64Array;
  private readonly lon: Float64Array;
  private readonly heading: Float64Array;
  private readonly speedKmh: Float64Array;
  private readonly energy: Float64Array;
  private readonly odometer: Float64Array;
  private readonly seq: Float64Array;
  private readonly lastTs: Float64Array;
  private readonly topics: string[];
  private readonly random: () => number;

  constructor(
    ids: string[],
    private readonly electric: boolean[],
    topicPrefix: string,
    seed: number,
  ) {
    this.n = ids.length;
    this.random = prng(seed); // the same seed starts the cars at the same places
    const r = this.random;
    this.lat = Float64Array.from(ids, () => 52.45 + r() * 0.12); // Berlin, about 13 km x 13 km
    this.lon = Float64Array.from(ids, () => 13.3 + r() * 0.2);
    this.heading = Float64Array.from(ids, () => r() * 360);
    this.speedKmh = Float64Array.from(ids, () => 10 + r() * 30);
    this.energy = Float64Array.from(ids, () => 30 + r() * 70);
    this.odometer = Float64Array.from(ids, () => 5_000 + r() * 80_000);
    this.seq = new Float64Array(this.n);
    this.lastTs = new Float64Array(this.n);
    this.topics = ids.map((id) => `${topicPrefix}/vehicles/${id}/telemetry`);
  }

  topic(i: number): string {
    return this.topics[i];
  }

  /** Moves car i to `nowMs` and returns its sample as JSON. */
  next(i: number, nowMs: number): string {
    // Fix times strictly increase per car (a repeated (vehicle, ts) would be absorbed as a duplicate).
    const ts = Math.max(nowMs, this.lastTs[i] + 1);
    const dtS = this.lastTs[i] === 0 ? 1 : (ts - this.lastTs[i]) / 1000;
    this.lastTs[i] = ts;
    const r = this.random;
    let speed = this.speedKmh[i] + (r() - 0.5) * 4;
    speed = Math.min(40, Math.max(10, speed));
    this.speedKmh[i] = speed;
    const heading = (this.heading[i] + (r() - 0.5) * 20 + 360) % 360;
    this.heading[i] = heading;
    const metres = (speed / 3.6) * dtS;
    const rad = (heading * Math.PI) / 180;
    this.lat[i] += (metres * Math.cos(rad)) / METRES_PER_DEGREE_LAT;
    this.lon[i] +=
      (metres * Math.sin(rad)) / (METRES_PER_DEGREE_LAT * Math.cos((this.lat[i] * Math.PI) / 180));
    this.odometer[i] += metres / 1000;
    this.energy[i] = Math.max(5, this.energy[i] - 0.0005 * dtS);
    const energyField = this.electric[i] ? 'batteryPct' : 'fuelPct';
    return (
      `{"ts":${ts},"lat":${round(this.lat[i], 7)},"lon":${round(this.lon[i], 7)},"locked":false,` +
      `"seq":${this.seq[i]++},"speedKmh":${round(speed, 1)},"heading":${round(heading, 1)},` +
      `"${energyField}":${round(this.energy[i], 2)},"odometerKm":${round(this.odometer[i], 2)},` +
      `"ignition":true,"doorsClosed":true,"accuracyM":${round(3 + r() * 5, 1)}}`
    );
  }
}

class Publisher {
  private clients: MqttClient[] = [];
  private inflight: number[] = [];
  private cars!: Cars;
  private startAtMs = 0;
  private timer: NodeJS.Timeout | null = null;
  private stopping = false;
  private nextCar = 0;
  private nextClient = 0;
  private payloadBytes = 0;
  private lastTickMs = 0;
  readonly stats: PublisherStats = {
    published: 0,
    acked: 0,
    errors: 0,
    maxBacklog: 0,
    lateTicks: 0,
    perSecond: [],
    meanPayloadBytes: 0,
    startedAtMs: 0,
    stoppedAtMs: 0,
  };

  constructor(private readonly o: PublisherStart) {}

  async connect(): Promise<void> {
    this.cars = new Cars(this.o.vehicleIds, this.o.electric, this.o.topicPrefix, this.o.seed);
    this.clients = Array.from({ length: this.o.connections }, (_, i) =>
      mqtt.connect(this.o.url, {
        clientId: `${this.o.clientIdPrefix}-${i}`,
        protocolVersion: 4,
        clean: true,
        reconnectPeriod: 1000,
        keepalive: 60,
      }),
    );
    this.inflight = this.clients.map(() => 0);
    await Promise.all(
      this.clients.map(
        (c) =>
          new Promise<void>((resolve, reject) => {
            c.once('connect', () => resolve());
            c.once('error', reject);
          }),
      ),
    );
  }

  go(atMs: number): void {
    this.startAtMs = atMs;
    this.stats.startedAtMs = atMs;
    this.lastTickMs = atMs;
    this.timer = setTimeout(() => this.tick(), Math.max(0, atMs - Date.now()));
  }

  private tick(): void {
    if (this.stopping) return;
    const now = Date.now();
    if (now - this.lastTickMs > 2 * this.o.tickMs + 5) this.stats.lateTicks++;
    this.lastTickMs = now;
    // The schedule is absolute (messages due since the start), so late ticks catch up instead of drifting.
    const due = Math.floor(((now - this.startAtMs) * this.o.ratePerS) / 1000) - this.stats.published;
    let sent = 0;
    const connections = this.clients.length;
    while (sent < due) {
      // Round-robin over connections that have room under the in-flight cap.
      let c = -1;
      for (let k = 0; k < connections; k++) {
        const candidate = (this.nextClient + k) % connections;
        if (this.inflight[candidate] < this.o.maxInflightPerConnection) {
          c = candidate;
          break;
        }
      }
      if (c < 0) break;
      this.nextClient = (c + 1) % connections;
      this.publishOne(c, now);
      sent++;
    }
    this.stats.maxBacklog = Math.max(this.stats.maxBacklog, due - sent);
    const elapsedS = Math.floor((now - this.startAtMs) / 1000);
    while (this.stats.perSecond.length <= elapsedS) this.stats.perSecond.push(0);
    this.stats.perSecond[elapsedS] += sent;
    const next =
      this.startAtMs + Math.ceil((Date.now() - this.startAtMs + 1) / this.o.tickMs) * this.o.tickMs;
    this.timer = setTimeout(() => this.tick(), Math.max(0, next - Date.now()));
  }

  private publishOne(c: number, nowMs: number): void {
    const i = this.nextCar;
    this.nextCar = (i + 1) % this.cars.n;
    const payload = this.cars.next(i, nowMs);
    this.payloadBytes += payload.length;
    this.inflight[c]++;
    this.stats.published++;
    this.clients[c].publish(this.cars.topic(i), payload, { qos: 1 }, (err) => {
      this.inflight[c]--;
      if (err) this.stats.errors++;
      else this.stats.acked++;
    });
  }

  /** Stops publishing, waits (up to 15 s) for the outstanding PUBACKs, disconnects. */
  async stop(): Promise<PublisherStats> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    this.stats.stoppedAtMs = Date.now();
    const deadline = Date.now() + 15_000;
    while (this.inflight.some((n) => n > 0) && Date.now() < deadline) {
      await sleep(20);
    }
    this.stats.meanPayloadBytes = this.stats.published ? this.payloadBytes / this.stats.published : 0;
    await Promise.all(
      this.clients.map((c) => new Promise<void>((resolve) => c.end(false, {}, () => resolve()))),
    );
    return this.stats;
  }
}

/** A simulated fleet of publishers: its cars, their rate, and how they are spread over processes. */
export interface PublisherFleet {
  url: string;
  topicPrefix: string;
  vehicleIds: string[];
  electric: boolean[];
  /** Messages per second of the whole fleet. */
  ratePerS: number;
  processes: number;
  tickMs: number;
  connections: number;
  maxInflightPerConnection: number;
  clientIdPrefix: string;
}

/**
 * Forks the publisher processes, each with its share of the cars and of the rate, and resolves once
 * all are connected ('ready'); send each {cmd: 'go', atMs} to start. `cleanup` kills them.
 */
export async function startPublishers(fleet: PublisherFleet, cleanup: Cleanup): Promise<ChildProcess[]> {
  const { vehicleIds: ids, processes, ...rest } = fleet;
  const publishers: ChildProcess[] = [];
  const per = Math.ceil(ids.length / processes);
  for (let p = 0; p < processes; p++) {
    const mine = ids.slice(p * per, (p + 1) * per);
    if (mine.length === 0) continue;
    const child = forkTs('publisher.ts');
    publishers.push(child);
    cleanup.add(`publisher ${p}`, () => killChild(child));
    const start: PublisherStart = {
      ...rest,
      vehicleIds: mine,
      electric: fleet.electric.slice(p * per, (p + 1) * per),
      ratePerS: (fleet.ratePerS * mine.length) / ids.length,
      seed: 1000 + p,
      clientIdPrefix: `${fleet.clientIdPrefix}${p}`,
    };
    child.send({ cmd: 'start', ...start });
  }
  await Promise.all(publishers.map((c) => nextMessage(c, 'ready', 60_000, 'publisher')));
  return publishers;
}

function send(message: unknown): void {
  process.send?.(message);
}

if (require.main === module) {
  let publisher: Publisher | null = null;
  // The parent gone (crashed or killed): nothing to publish for.
  process.on('disconnect', () => process.exit(0));
  process.on('message', (message: ParentMessage) => {
    void (async () => {
      try {
        if (message.cmd === 'start') {
          publisher = new Publisher(message);
          await publisher.connect();
          send({ type: 'ready' });
        } else if (message.cmd === 'go') {
          publisher?.go(message.atMs);
        } else {
          const stats = await publisher?.stop();
          send({ type: 'done', stats });
          process.disconnect();
        }
      } catch (err) {
        send({ type: 'error', message: (err as Error).message });
        process.exit(1);
      }
    })();
  });
}
