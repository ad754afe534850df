import { VehicleState } from '@fleet/domain';
import { trackFeature, TrackFeature } from '@fleet/geo';
import { Injectable, Logger } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Caller, isStaff } from '@fleet/auth';
import { VehicleCommander } from '../commands/vehicle-commander';
import { HistoryRepository } from '../history/history.repository';
import { UUID_PATTERN } from '../common/validation';
import { BookingConfig, handoverBusyS, tariffOf } from '../config/booking.config';
import { Price, priceTrip } from '../pricing/pricing';
import { assertNoActiveBooking, lockDriver, ReservationsService } from '../reservations/reservations.service';
import { FleetStateRepository, StateStep } from '../vehicles/fleet-state.repository';
import { endRefusal } from './end-rules';
import { TripErrorCode, tripError } from './trip-errors';
import { TripRow, TripsRepository, TripStatus } from './trips.repository';

export interface TripView {
  id: string;
  vehicleId: string;
  reservationId: string | null;
  status: TripStatus;
  startedAt: string;
  /** Set while the car is parked for a stopover. */
  parkedSince: string | null;
  endedAt: string | null;
  /** Seconds from start to end (so far, for an open trip). */
  durationS: number;
  /** Seconds parked for stopovers (so far). */
  parkedS: number;
  /** Metres driven, from the stored history; null until the trip ends. */
  distanceM: number | null;
  price: Price | null;
}

function view(t: TripRow): TripView {
  const now = Date.now();
  const end = t.endedAt?.getTime() ?? now;
  const parkedS = t.parkedS + (t.parkedSince ? (now - t.parkedSince.getTime()) / 1000 : 0);
  return {
    id: t.id,
    vehicleId: t.vehicleId,
    reservationId: t.reservationId,
    status: t.status,
    startedAt: t.startedAt.toISOString(),
    parkedSince: t.parkedSince?.toISOString() ?? null,
    endedAt: t.endedAt?.toISOString() ?? null,
    durationS: Math.round((end - t.startedAt.getTime()) / 1000),
    parkedS: Math.round(parkedS),
    distanceM: t.distanceM === null ? null : Math.round(t.distanceM),
    price: t.price,
  };
}

/**
 * Trips: start (the car unlocks), park and resume (lock and unlock for a stopover), end (the car
 * stands where it may be left and locks), priced from the stored history. A handover command can take
 * as long as its expiry, so no transaction waits for it: the reservation or trip is marked busy
 * meanwhile, and the outcome is written in a short transaction afterwards.
 */
@Injectable()
export class TripsService {
  private readonly logger = new Logger(TripsService.name);

  constructor(
    private readonly config: BookingConfig,
    private readonly trips: TripsRepository,
    private readonly reservations: ReservationsService,
    private readonly fleet: FleetStateRepository,
    private readonly commander: VehicleCommander,
    private readonly history: HistoryRepository,
  ) {}

  /** Starts a trip from the driver's reservation or directly on a bookable car; 201 once it unlocked. */
  async start(caller: Caller, from: { reservationId?: string; vehicleId?: string }): Promise<TripView> {
    const hold = await this.fleet.transaction(async (db) => {
      await lockDriver(db, caller.id);
      if (from.vehicleId !== undefined) {
        await assertNoActiveBooking(db, caller.id);
        return this.reservations.hold(db, caller.id, from.vehicleId, true);
      }
      return this.reservations.markStarting(db, caller.id, from.reservationId ?? '');
    });

    try {
      await this.commander.confirm(hold.vehicleId, 'unlock', caller.id);
    } catch (err) {
      await this.fleet.transaction((db) => this.reservations.afterFailedUnlock(db, hold.id));
      throw err;
    }

    return this.fleet.transaction(async (db) => {
      await lockDriver(db, caller.id);
      if (!(await this.reservations.convert(db, hold.id))) {
        // Only when the busy mark ran out while the car answered (a stalled request): the car is open.
        void this.lockAbandoned(hold.vehicleId, caller.id);
        throw tripError(TripErrorCode.ReservationNotActive, 'the reservation ended while the car unlocked');
      }
      await this.moveCar(db, hold.vehicleId, 'reserved', [
        ['reservation_stop', 'stopped'],
        ['trip_start', 'on_trip'],
      ]);
      return view(await this.trips.insert(db, caller.id, hold.vehicleId, hold.id));
    });
  }

  /** Parks for a stopover: the car locks, the trip is billed at the park rate until it resumes. */
  async park(caller: Caller, id: string): Promise<TripView> {
    const trip = await this.markBusy(caller, id, ['active'], TripErrorCode.NotActive);
    await this.handover(trip, 'lock', caller);
    return this.fleet.transaction(async (db) => {
      const parked = await this.trips.park(db, trip.id);
      await this.moveCar(db, trip.vehicleId, 'on_trip', [['trip_stop', 'stopped']]);
      return view(parked);
    });
  }

  /** Ends a stopover: the car unlocks, the trip drives on. */
  async resume(caller: Caller, id: string): Promise<TripView> {
    const trip = await this.markBusy(caller, id, ['parked'], TripErrorCode.NotParked);
    await this.handover(trip, 'unlock', caller);
    return this.fleet.transaction(async (db) => {
      const resumed = await this.trips.resume(db, trip.id);
      await this.moveCar(db, trip.vehicleId, 'stopped', [['trip_resume', 'on_trip']]);
      return view(resumed);
    });
  }

  /**
   * Ends the trip where the car stands, if it may be left there (422 with the reason otherwise, the
   * trip stays open), once the car confirmed the lock; priced.
   */
  async end(caller: Caller, id: string): Promise<TripView> {
    const trip = await this.markBusy(caller, id, ['active', 'parked'], TripErrorCode.NotActive);
    const refusal = endRefusal(
      await this.trips.parkingCheck(trip.vehicleId),
      this.config.TRIP_END_MAX_FIX_AGE_S,
    );
    if (refusal) {
      await this.trips.clearBusy(trip.id);
      throw refusal;
    }
    await this.handover(trip, 'lock', caller);
    return this.fleet.transaction(async (db) => {
      const usage = await this.trips.close(db, trip.id);
      const price = priceTrip(tariffOf(this.config), usage);
      const ended = await this.trips.settle(db, trip.id, usage.distanceM, price);
      await this.moveCar(
        db,
        trip.vehicleId,
        usage.wasParked ? 'stopped' : 'on_trip',
        usage.wasParked
          ? [['trip_end', 'available']]
          : [
              ['trip_stop', 'stopped'],
              ['trip_end', 'available'],
            ],
      );
      return view(ended);
    });
  }

  /** The trip, to its driver or an operator; 404 to anyone else. */
  async get(caller: Caller, id: string): Promise<TripView> {
    return view(await this.visible(caller, id));
  }

  /** The trip's route from the stored history, as a GeoJSON Feature. */
  async route(caller: Caller, id: string): Promise<TrackFeature<{ tripId: string; vehicleId: string }>> {
    const trip = await this.visible(caller, id);
    const points = await this.history.track(
      trip.vehicleId,
      trip.startedAt,
      trip.endedAt ?? new Date(),
      this.config.TRACK_MAX_POINTS,
    );
    return trackFeature(points, { tripId: trip.id, vehicleId: trip.vehicleId });
  }

  /** The caller's own trips, newest first. */
  async mine(caller: Caller, limit: number): Promise<TripView[]> {
    return (await this.trips.listOf(caller.id, limit)).map(view);
  }

  private async visible(caller: Caller, id: string): Promise<TripRow> {
    const trip = UUID_PATTERN.test(id)
      ? await this.trips.find(id, caller.id, isStaff(caller.role))
      : undefined;
    if (!trip) throw tripError(TripErrorCode.NotFound, 'trip not found');
    return trip;
  }

  /** Marks the driver's own trip busy for a handover, or says why it cannot be. */
  private async markBusy(
    caller: Caller,
    id: string,
    statuses: TripStatus[],
    wrongStatus: TripErrorCode,
  ): Promise<TripRow> {
    const trip = UUID_PATTERN.test(id)
      ? await this.trips.markBusy(id, caller.id, statuses, handoverBusyS(this.config))
      : undefined;
    if (trip) return trip;
    const current = UUID_PATTERN.test(id) ? await this.trips.find(id, caller.id) : undefined;
    if (!current) throw tripError(TripErrorCode.NotFound, 'trip not found');
    if (current.busy)
      throw tripError(TripErrorCode.Busy, 'the car is carrying out another request for this trip');
    throw tripError(wrongStatus, `the trip is ${current.status}`);
  }

  /** The car carries out `type` for the trip, or the trip is freed and the error goes to the driver. */
  private async handover(trip: TripRow, type: 'lock' | 'unlock', caller: Caller): Promise<void> {
    try {
      await this.commander.confirm(trip.vehicleId, type, caller.id);
    } catch (err) {
      await this.trips.clearBusy(trip.id);
      throw err;
    }
  }

  private async moveCar(
    db: EntityManager,
    vehicleId: string,
    from: VehicleState,
    steps: readonly StateStep[],
  ): Promise<void> {
    const moved = await this.fleet.advance(db, [vehicleId], from, steps);
    if (moved.length === 0) {
      // The trip is what the driver is billed on; a car whose state drifted meanwhile is left as it
      // is, and logged.
      this.logger.warn(`car ${vehicleId} was not ${from}; its state is left as it is`);
    }
  }

  private async lockAbandoned(vehicleId: string, requestedBy: string): Promise<void> {
    try {
      await this.commander.send(vehicleId, 'lock', requestedBy);
    } catch (err) {
      this.logger.warn(`could not lock ${vehicleId} after an abandoned start: ${(err as Error).message}`);
    }
  }
}
