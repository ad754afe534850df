import { SimulatedCar, WireSample } from '../simulated-car';
import { DemoCity, flatDistanceM, headingDeg, LatLon, stepTowards } from './demo-city';

export interface DemoCarTiming {
  /** Between two reports of a parked car, ms (30 min in the product; shortened in the demo). */
  parkedReportMs: number;
  /** Between two reports of a driving car: 1 to 5 s. */
  drivingReportMs: [number, number];
  /** Chance per driving report of entering a tunnel (reports buffered, uploaded as one batch). */
  tunnelChance: number;
  tunnelMs: [number, number];
  /** Chance per minute of losing the connection (the broker sends the will), and how long. */
  dropChancePerMin: number;
  offlineMs: [number, number];
  /** Fault mode (tests): chance per report of also sending a faulty message (see FaultCounts). */
  faultChance?: number;
}

/**
 * What the fault mode sent: duplicates (a sample twice) and out-of-order samples (an older one after
 * a newer) are valid and absorbed; jumps (a fix 50 km away a moment later) and garbage (not JSON, or
 * breaking the contract) are bad and belong in quarantine.
 */
export interface FaultCounts {
  duplicates: number;
  outOfOrder: number;
  jumps: number;
  garbage: number;
}

/** Energy used per kilometre, % of the tank or battery. */
const ENERGY_PCT_PER_KM = { electric: 0.25, combustion: 0.18 };

/**
 * One car of the demo fleet around a SimulatedCar (the contract's reference car): parked, it reports
 * every `parkedReportMs`; driving a route, it reports every 1 to 5 s at street speeds, uses fuel or
 * battery, sometimes goes through a tunnel (buffering, then uploading a batch) and sometimes loses its
 * connection for a while (will, then back online).
 */
export class DemoCar {
  private route: LatLon[] = [];
  private arrived: (() => void) | null = null;
  private timer: NodeJS.Timeout | null = null;
  private tunnelUntil = 0;
  private buffered: WireSample[] = [];
  private offline = false;
  private lastMoveAt = Date.now();
  private stopped = false;
  private heldBack: WireSample | null = null;
  readonly faults: FaultCounts = { duplicates: 0, outOfOrder: 0, jumps: 0, garbage: 0 };

  constructor(
    readonly car: SimulatedCar,
    readonly propulsion: 'electric' | 'combustion',
    private readonly city: DemoCity,
    private readonly timing: DemoCarTiming,
    private readonly random: () => number,
  ) {}

  get id(): string {
    return this.car.vehicleId;
  }

  get position(): LatLon {
    return { lat: this.car.lat, lon: this.car.lon };
  }

  get driving(): boolean {
    return this.route.length > 0;
  }

  /** Connects and reports, then keeps reporting; the first parked report comes at a random moment. */
  async start(): Promise<void> {
    await this.car.connect();
    await this.report();
    this.schedule(this.random() * this.timing.parkedReportMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (!this.offline) await this.car.disconnect();
  }

  /** Drives to `to` along a street-like route; resolves on arrival (ignition still on). */
  drive(to: LatLon): Promise<void> {
    this.route = this.city.route(this.position, to, this.random);
    this.car.ignition = true;
    this.car.doorsClosed = true;
    this.car.speedKmh = 20 + this.random() * 30;
    this.lastMoveAt = Date.now();
    this.reschedule(0);
    return new Promise((resolve) => (this.arrived = resolve));
  }

  /** Parks where it is: ignition off, stopped; reports at once (a fresh fix for ending the trip). */
  async park(): Promise<void> {
    this.route = [];
    this.car.ignition = false;
    this.car.speedKmh = 0;
    this.tunnelUntil = 0;
    await this.flushTunnel();
    await this.report();
    this.reschedule(this.timing.parkedReportMs);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), ms);
  }

  private reschedule(ms: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.schedule(ms);
  }

  private async tick(): Promise<void> {
    try {
      if (!this.offline && this.random() < this.dropChance()) return await this.goOffline();
      if (this.driving) this.move();
      if (!this.offline) await this.report();
    } catch {
      // A failed publish (a reconnecting client) is the next report's to make up.
    }
    const [lo, hi] = this.timing.drivingReportMs;
    this.schedule(this.driving ? lo + this.random() * (hi - lo) : this.timing.parkedReportMs);
  }

  /** Parked cars only (garages, dead spots): a car on a trip keeps its link for the demo's drivers. */
  private dropChance(): number {
    return this.driving ? 0 : (this.timing.dropChancePerMin * this.timing.parkedReportMs) / 60_000;
  }

  /** Moves along the route for the time since the last move, at the current speed. */
  private move(): void {
    const now = Date.now();
    let metres = ((this.car.speedKmh / 3.6) * (now - this.lastMoveAt)) / 1000;
    this.lastMoveAt = now;
    const before = this.position;
    while (metres > 0 && this.route.length) {
      const next = this.route[0];
      const d = flatDistanceM(this.position, next);
      if (d <= metres) {
        this.route.shift();
        this.car.lat = next.lat;
        this.car.lon = next.lon;
        metres -= d;
      } else {
        const p = stepTowards(this.position, next, metres);
        this.car.lat = p.lat;
        this.car.lon = p.lon;
        metres = 0;
      }
    }
    const km = flatDistanceM(before, this.position) / 1000;
    if (km > 0) this.car.headingDeg = Math.round(headingDeg(before, this.position));
    this.car.odometerKm += km;
    this.car.energyPct = Math.max(5, this.car.energyPct - km * ENERGY_PCT_PER_KM[this.propulsion]);
    // Street speeds vary from block to block.
    this.car.speedKmh = Math.min(50, Math.max(10, this.car.speedKmh + (this.random() - 0.5) * 10));
    if (this.route.length === 0) {
      this.car.speedKmh = 0;
      const arrived = this.arrived;
      this.arrived = null;
      arrived?.();
    }
  }

  /** Reports a sample, or buffers it in a tunnel (uploaded as one batch when out of it). */
  private async report(): Promise<void> {
    const now = Date.now();
    if (this.driving && this.tunnelUntil === 0 && this.random() < this.timing.tunnelChance) {
      const [lo, hi] = this.timing.tunnelMs;
      this.tunnelUntil = now + lo + this.random() * (hi - lo);
    }
    if (this.tunnelUntil > now) {
      this.buffered.push(this.car.sample());
      return;
    }
    await this.flushTunnel();
    const sample = await this.car.publishSample();
    if (this.random() < (this.timing.faultChance ?? 0)) await this.fault(sample);
  }

  /** Fault mode: one faulty message after a good sample. */
  private async fault(good: WireSample): Promise<void> {
    const kind = Math.floor(this.random() * 4);
    if (kind === 0) {
      await this.car.publishRaw(JSON.stringify(good));
      this.faults.duplicates++;
    } else if (kind === 1) {
      // Held back from the last fault of this kind, sent now: older than what the car reported since.
      if (this.heldBack) {
        await this.car.publishRaw(JSON.stringify(this.heldBack));
        this.faults.outOfOrder++;
      }
      this.heldBack = this.car.sample({ ts: Date.now() - 1000 });
    } else if (kind === 2) {
      await this.car.publishRaw(
        JSON.stringify(this.car.sample({ ts: Number(good.ts) + 1, lat: good.lat + 0.45 })),
      );
      this.faults.jumps++;
    } else {
      const garbage = [
        '{"ts": 17',
        'not json at all',
        JSON.stringify({ ...good, lat: 'north', seq: undefined }),
      ];
      await this.car.publishRaw(garbage[Math.floor(this.random() * garbage.length)]);
      this.faults.garbage++;
    }
  }

  private async flushTunnel(): Promise<void> {
    this.tunnelUntil = 0;
    if (this.buffered.length === 0) return;
    const batch = this.buffered;
    this.buffered = [];
    await this.car.publishBatch(batch);
  }

  /** Loses the connection without a goodbye (the broker sends the will), then comes back. */
  private async goOffline(): Promise<void> {
    this.offline = true;
    await this.car.dropConnection();
    const [lo, hi] = this.timing.offlineMs;
    setTimeout(
      () => {
        if (this.stopped) return;
        void this.car.connect().then(
          async () => {
            // Stopped while it was connecting: stop() saw it offline and left the link alone.
            if (this.stopped) return this.car.disconnect();
            this.offline = false;
            this.lastMoveAt = Date.now();
            this.reschedule(0);
          },
          () => undefined,
        );
      },
      lo + this.random() * (hi - lo),
    );
  }
}
