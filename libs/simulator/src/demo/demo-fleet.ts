import { SimulatedCar } from '../simulated-car';
import { DemoCar, DemoCarTiming } from './demo-car';
import { DemoCity, LatLon } from './demo-city';
import { DemoDriver, DriverLog } from './demo-driver';
import type { DemoVehicle, KnownCar } from './seed';

export interface DemoFleetOptions {
  brokerUrl: string;
  /** The MQTT password every demo car connects with (seedDemoVehicles stored its hash). */
  mqttPassword: string;
  topicPrefix?: string;
  /** The booking API's base URL (http://host:port) for the simulated drivers; none without it. */
  bookingUrl: string | null;
  drivers: number;
  timing: DemoCarTiming;
  seed: number;
  log: DriverLog;
}

/** A deterministic random source (mulberry32), so a seed replays the same demo. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The demo's cars (each a SimulatedCar on its own MQTT connection) and its simulated drivers, who
 * book and drive them through the booking API.
 */
export class DemoFleet {
  readonly cars = new Map<string, DemoCar>();
  readonly drivers: DemoDriver[] = [];
  private readonly random: () => number;

  constructor(
    private readonly city: DemoCity,
    private readonly options: DemoFleetOptions,
  ) {
    this.random = seededRandom(options.seed);
  }

  /**
   * Connects every car (where it was last known, or at a random parking spot), a few at a time, then
   * starts the drivers.
   */
  async start(vehicles: readonly DemoVehicle[], known: ReadonlyMap<string, KnownCar>): Promise<void> {
    for (const v of vehicles) {
      const last = known.get(v.id);
      const p: LatLon = last ?? this.city.randomSpot(this.random);
      const car = new SimulatedCar({
        url: this.options.brokerUrl,
        password: this.options.mqttPassword,
        topicPrefix: this.options.topicPrefix,
        vehicleId: v.id,
        lat: p.lat,
        lon: p.lon,
        propulsion: v.propulsion,
        firstSeq: last?.seq === null || last?.seq === undefined ? 0 : last.seq + 1,
        lastCommandCounter: last?.commandCounter,
      });
      car.energyPct = last?.energyPct ?? 30 + Math.round(this.random() * 70);
      car.odometerKm = 5_000 + Math.round(this.random() * 60_000);
      this.cars.set(
        v.id,
        new DemoCar(car, v.propulsion, this.city, this.options.timing, seededRandom(this.random() * 2 ** 32)),
      );
    }
    const all = [...this.cars.values()];
    for (let i = 0; i < all.length; i += 50) await Promise.all(all.slice(i, i + 50).map((c) => c.start()));
    if (!this.options.bookingUrl) return;
    for (let i = 0; i < this.options.drivers; i++) {
      const driver = new DemoDriver(
        `sim-driver-${i + 1}@demo.fleet.local`,
        'demo-driver-password',
        this.options.bookingUrl,
        this.city,
        this.cars,
        seededRandom(this.random() * 2 ** 32),
        this.options.log,
      );
      this.drivers.push(driver);
      // The first drivers set off within seconds, so that a new demo shows trips at once.
      void driver.run(this.random() * 8_000).catch((err: Error) => this.options.log.warn(err.message));
    }
  }

  async stop(): Promise<void> {
    for (const d of this.drivers) d.stop();
    await Promise.all([...this.cars.values()].map((c) => c.stop().catch(() => undefined)));
  }
}
