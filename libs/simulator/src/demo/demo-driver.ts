import type { DemoCar } from './demo-car';
import type { DemoCity } from './demo-city';

export interface DriverLog {
  info(message: string): void;
  warn(message: string): void;
}

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A simulated driver using the booking API as the app does: looks for a car nearby, reserves it,
 * starts the trip (the car unlocks), drives it somewhere in the city (sometimes with a stopover),
 * parks it legally and ends the trip (the car locks; the trip is priced). Then waits and starts over.
 */
export class DemoDriver {
  private token = '';
  private refreshToken = '';
  private stopped = false;
  trips = 0;

  constructor(
    readonly email: string,
    private readonly password: string,
    private readonly api: string,
    private readonly city: DemoCity,
    private readonly cars: ReadonlyMap<string, DemoCar>,
    private readonly random: () => number,
    private readonly log: DriverLog,
  ) {}

  stop(): void {
    this.stopped = true;
  }

  /** Registers (once) and logs in, then books and drives until stopped. */
  async run(firstPauseMs: number): Promise<void> {
    await this.call('POST', '/auth/register', {
      email: this.email,
      password: this.password,
      name: this.email.split('@')[0],
    });
    await this.logIn();
    await this.finishLeftovers();
    await sleep(firstPauseMs);
    while (!this.stopped) {
      try {
        await this.oneTrip();
      } catch (err) {
        this.log.warn(`${this.email}: ${(err as Error).message}`);
      }
      await sleep(10_000 + this.random() * 50_000);
    }
  }

  private async oneTrip(): Promise<void> {
    const here = this.city.randomSpot(this.random);
    const nearby = await this.call(
      'GET',
      `/vehicles/nearby?lat=${here.lat}&lon=${here.lon}&radius=2000&limit=5`,
    );
    const candidates = ((nearby.body.vehicles as { id: string }[] | undefined) ?? []).filter((v) =>
      this.cars.has(v.id),
    );
    if (candidates.length === 0) return;
    const vehicleId = candidates[Math.floor(this.random() * candidates.length)].id;
    const reservation = await this.call('POST', '/reservations', { vehicleId });
    if (reservation.status !== 201) return; // someone was quicker
    await sleep(3_000 + this.random() * 10_000); // walking to the car
    const trip = await this.call('POST', '/trips', { reservationId: reservation.body.id });
    if (trip.status !== 201) {
      await this.call('DELETE', `/reservations/${String(reservation.body.id)}`);
      throw new Error(`cannot start a trip in ${vehicleId}: ${trip.status} ${String(trip.body.code)}`);
    }
    const tripId = String(trip.body.id);
    const car = this.cars.get(vehicleId)!;
    if (this.random() < 0.3) {
      // A stopover: park, lock, shop, unlock and go on.
      await car.drive(this.destination(car));
      await car.park();
      await this.call('POST', `/trips/${tripId}/park`);
      await sleep(10_000 + this.random() * 20_000);
      await this.call('POST', `/trips/${tripId}/resume`);
    }
    await car.drive(this.destination(car));
    await car.park();
    await this.endTrip(tripId, car);
  }

  /** Somewhere 0.5 to 3 km away: a city trip of a few minutes. */
  private destination(car: DemoCar) {
    return this.city.spotNear(car.position, 500, 3000, this.random);
  }

  /** Ends the trip where the car stands, or a little further on when the spot is refused. */
  private async endTrip(tripId: string, car: DemoCar): Promise<void> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const end = await this.call('POST', `/trips/${tripId}/end`);
      if (end.status === 200) {
        this.trips++;
        const price = end.body.price as { totalCents: number; currency: string } | undefined;
        this.log.info(
          `${this.email} drove ${car.id} ${Math.round(Number(end.body.distanceM ?? 0))} m: ${price ? `${(price.totalCents / 100).toFixed(2)} ${price.currency}` : 'no price'}`,
        );
        return;
      }
      // Not a legal spot: move on a little. Otherwise (the parked report not stored yet, the car
      // still answering): wait and try again.
      if (end.body.code === 'OUTSIDE_BUSINESS_AREA' || end.body.code === 'IN_NO_PARKING_ZONE') {
        await car.drive(this.city.spotNear(car.position, 100, 400, this.random));
        await car.park();
      }
      await sleep(2_000);
    }
    throw new Error(`could not end trip ${tripId} in ${car.id}`);
  }

  /** Trips a previous run of the demo left open (it was stopped mid-trip): park and end them. */
  private async finishLeftovers(): Promise<void> {
    const mine = await this.call('GET', '/me/trips');
    const open = (
      (mine.body.trips as { id: string; vehicleId: string; status: string }[] | undefined) ?? []
    ).filter((t) => t.status !== 'completed');
    for (const trip of open) {
      const car = this.cars.get(trip.vehicleId);
      if (!car) continue;
      await car.park();
      await this.endTrip(trip.id, car).catch((err: Error) => this.log.warn(err.message));
    }
  }

  private async logIn(): Promise<void> {
    this.token = '';
    const login = await this.send('POST', '/auth/login', { email: this.email, password: this.password });
    if (login.status !== 200) throw new Error(`${this.email} cannot log in: ${JSON.stringify(login.body)}`);
    this.token = String(login.body.accessToken);
    this.refreshToken = String(login.body.refreshToken);
  }

  /** A new access token as the app gets one when the last expired: refresh, else log in again. */
  private async renew(): Promise<void> {
    this.token = '';
    const renewed = await this.send('POST', '/auth/refresh', { refreshToken: this.refreshToken });
    if (renewed.status !== 200) return this.logIn();
    this.token = String(renewed.body.accessToken);
    this.refreshToken = String(renewed.body.refreshToken);
  }

  /** An API call; an expired access token is renewed once and the call made again. */
  private async call(method: string, path: string, body?: unknown): Promise<Answer> {
    const answer = await this.send(method, path, body);
    if (answer.status !== 401 || !this.refreshToken) return answer;
    await this.renew();
    return this.send(method, path, body);
  }

  private async send(method: string, path: string, body?: unknown): Promise<Answer> {
    const res = await fetch(`${this.api}/api/v1${path}`, {
      method,
      headers: {
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
      },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  }
}
