import { queryRows } from '@fleet/domain';
import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { Caller, isStaff } from '@fleet/auth';
import { ApiError, notFound } from '../common/api-error';
import { BookingConfig, handoverBusyS } from '../config/booking.config';
import { UUID_PATTERN } from '../common/validation';
import { FleetStateRepository } from '../vehicles/fleet-state.repository';

export interface ReservationView {
  id: string;
  vehicleId: string;
  status: 'active' | 'cancelled' | 'expired' | 'converted';
  createdAt: string;
  expiresAt: string;
  endedAt: string | null;
}

const COLUMNS = `id, vehicle_id AS "vehicleId", status, created_at AS "createdAt", expires_at AS "expiresAt",
  ended_at AS "endedAt"`;

type Row = Omit<ReservationView, 'createdAt' | 'expiresAt' | 'endedAt'> & {
  createdAt: Date;
  expiresAt: Date;
  endedAt: Date | null;
};

const view = (r: Row): ReservationView => ({
  ...r,
  createdAt: r.createdAt.toISOString(),
  expiresAt: r.expiresAt.toISOString(),
  endedAt: r.endedAt?.toISOString() ?? null,
});

/** The first answer to a request under an Idempotency-Key. */
export interface IdempotentResult<T> {
  status: number;
  body: T;
}

/**
 * Reservations. No double booking is the database's: the car is claimed by a conditional update of
 * its state (FleetStateRepository.claim), and a partial unique index allows one
 * active reservation per car and per driver. A driver's booking writes are serialised on their user
 * row, so "one active reservation or trip per driver" holds across both tables.
 */
@Injectable()
export class ReservationsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly config: BookingConfig,
    private readonly fleet: FleetStateRepository,
  ) {}

  async create(
    caller: Caller,
    vehicleId: string,
    idempotencyKey?: string,
  ): Promise<IdempotentResult<ReservationView>> {
    const requestHash = createHash('sha256').update(JSON.stringify({ vehicleId })).digest('hex');
    if (idempotencyKey === undefined) {
      // Most requests in a rush for few cars are for a car just taken: answer those with one read,
      // without a transaction. The claim below still decides.
      const bookable = await this.fleet.isBookable(this.dataSource, vehicleId);
      if (bookable === undefined) throw notFound('vehicle', 'VEHICLE_NOT_FOUND');
      if (!bookable) throw unavailable();
    }
    return this.fleet.transaction(async (db) => {
      await lockDriver(db, caller.id);
      if (idempotencyKey !== undefined) {
        const [earlier] = await queryRows<{
          request_hash: string;
          status_code: number;
          response: ReservationView;
        }>(
          db,
          `SELECT request_hash, status_code, response FROM idempotency_keys WHERE user_id = $1 AND key = $2`,
          [caller.id, idempotencyKey],
        );
        if (earlier) {
          if (earlier.request_hash !== requestHash) {
            throw new ApiError(
              422,
              'IDEMPOTENCY_KEY_REUSED',
              'this Idempotency-Key was used with another body',
            );
          }
          return { status: earlier.status_code, body: earlier.response };
        }
      }
      await assertNoActiveBooking(db, caller.id);
      const body = await this.hold(db, caller.id, vehicleId, false);
      if (idempotencyKey !== undefined) {
        await queryRows(
          db,
          `INSERT INTO idempotency_keys (user_id, key, request_hash, status_code, response) VALUES ($1, $2, $3, 201, $4)`,
          [caller.id, idempotencyKey, requestHash, JSON.stringify(body)],
        );
      }
      return { status: 201, body };
    });
  }

  /**
   * Claims a bookable car for a driver (409 VEHICLE_UNAVAILABLE otherwise) and records the
   * reservation. `direct`: the hold of a trip started without a reservation, busy while the car
   * unlocks. The caller holds the driver's lock and has checked they have no other booking.
   */
  async hold(
    db: EntityManager,
    driverId: string,
    vehicleId: string,
    direct: boolean,
  ): Promise<ReservationView> {
    const [vehicle] = await queryRows<{ id: string }>(db, `SELECT id FROM vehicles WHERE id = $1`, [
      vehicleId,
    ]);
    if (!vehicle) throw notFound('vehicle', 'VEHICLE_NOT_FOUND');
    if (!(await this.fleet.claim(db, vehicleId))) throw unavailable();
    const [row] = await queryRows<Row>(
      db,
      `INSERT INTO reservations (driver_id, vehicle_id, status, expires_at, direct, busy_until)
       VALUES ($1, $2, 'active', now() + make_interval(mins => $3), $4,
               CASE WHEN $4 THEN now() + make_interval(secs => $5) END)
       RETURNING ${COLUMNS}`,
      [driverId, vehicleId, this.config.RESERVATION_HOLD_MIN, direct, handoverBusyS(this.config)],
    );
    return view(row);
  }

  /** The reservation, to its driver or an operator; 404 to anyone else. */
  async get(caller: Caller, id: string): Promise<ReservationView> {
    const rows = UUID_PATTERN.test(id)
      ? await queryRows<Row>(
          this.dataSource,
          `SELECT ${COLUMNS} FROM reservations WHERE id = $1 AND (driver_id = $2 OR $3)`,
          [id, caller.id, isStaff(caller.role)],
        )
      : [];
    if (rows.length === 0) throw notFound('reservation', 'RESERVATION_NOT_FOUND');
    return view(rows[0]);
  }

  /** Cancels an active reservation; the car is bookable again at once. */
  async cancel(caller: Caller, id: string): Promise<ReservationView> {
    const current = await this.get(caller, id);
    if (current.status !== 'active') throw notActive(`the reservation is ${current.status}`);
    return this.fleet.transaction(async (db) => {
      const [row] = await queryRows<Row & { busy: boolean }>(
        db,
        `UPDATE reservations SET status = 'cancelled', ended_at = now(), busy_until = NULL
          WHERE id = $1 AND status = 'active' AND (busy_until IS NULL OR busy_until < now())
         RETURNING ${COLUMNS}`,
        [id],
      );
      if (!row) {
        throw notActive('the reservation has just ended or its car is unlocking');
      }
      await this.release(db, [row.vehicleId], 'customer_cancellation');
      return view(row);
    });
  }

  /**
   * Marks the driver's active reservation busy while its car unlocks for a trip: 404 when it is not
   * theirs, 409 when it is not active or already starting. Returns its id and car.
   */
  async markStarting(
    db: EntityManager,
    driverId: string,
    reservationId: string,
  ): Promise<{ id: string; vehicleId: string }> {
    const [r] = UUID_PATTERN.test(reservationId)
      ? await queryRows<{ id: string; vehicleId: string; status: string; busy: boolean }>(
          db,
          `SELECT id, vehicle_id AS "vehicleId", status, COALESCE(busy_until > now(), false) AS busy
             FROM reservations WHERE id = $1 AND driver_id = $2 FOR UPDATE`,
          [reservationId, driverId],
        )
      : [];
    if (!r) throw notFound('reservation', 'RESERVATION_NOT_FOUND');
    if (r.status !== 'active') throw notActive(`the reservation is ${r.status}`);
    if (r.busy) throw new ApiError(409, 'START_IN_PROGRESS', 'this reservation is already being started');
    await queryRows(
      db,
      `UPDATE reservations SET busy_until = now() + make_interval(secs => $2) WHERE id = $1`,
      [r.id, handoverBusyS(this.config)],
    );
    return { id: r.id, vehicleId: r.vehicleId };
  }

  /** The reservation became a trip (its car unlocked); false when it had ended meanwhile. */
  async convert(db: EntityManager, reservationId: string): Promise<boolean> {
    const rows = await queryRows(
      db,
      `UPDATE reservations SET status = 'converted', ended_at = now(), busy_until = NULL
        WHERE id = $1 AND status = 'active' RETURNING id`,
      [reservationId],
    );
    return rows.length > 0;
  }

  /**
   * Ends a direct start's hold whose car did not unlock (cancelled, car bookable again), or clears
   * the busy mark of a reservation so that it can be cancelled, retried or expire.
   */
  async afterFailedUnlock(db: EntityManager, reservationId: string): Promise<void> {
    const [row] = await queryRows<{ vehicle_id: string; direct: boolean }>(
      db,
      `UPDATE reservations
          SET busy_until = NULL,
              status = CASE WHEN direct THEN 'cancelled' ELSE status END,
              ended_at = CASE WHEN direct THEN now() ELSE ended_at END
        WHERE id = $1 AND status = 'active' RETURNING vehicle_id, direct`,
      [reservationId],
    );
    if (row?.direct) await this.release(db, [row.vehicle_id], 'provider_cancellation');
  }

  /** Reserved cars back to available, each with its event. */
  private release(
    db: EntityManager,
    vehicleIds: string[],
    event: 'customer_cancellation' | 'provider_cancellation',
  ): Promise<string[]> {
    return this.fleet.advance(db, vehicleIds, 'reserved', [[event, 'available']]);
  }

  /** Ends every reservation whose free time ran out and frees its car; returns how many. */
  async expireDue(): Promise<number> {
    return this.fleet.transaction(async (db) => {
      const expired = await queryRows<{ vehicle_id: string }>(
        db,
        `UPDATE reservations SET status = 'expired', ended_at = now()
          WHERE status = 'active' AND expires_at <= now() AND (busy_until IS NULL OR busy_until < now())
          RETURNING vehicle_id`,
      );
      await this.release(
        db,
        expired.map((r) => r.vehicle_id),
        'provider_cancellation',
      );
      return expired.length;
    });
  }
}

const unavailable = () => new ApiError(409, 'VEHICLE_UNAVAILABLE', 'this car cannot be booked now');
const notActive = (message: string) => new ApiError(409, 'RESERVATION_NOT_ACTIVE', message);

/** Serialises one driver's booking writes (reservations and trips) on their user row. */
export async function lockDriver(db: EntityManager, driverId: string): Promise<void> {
  await queryRows(db, `SELECT 1 FROM users WHERE id = $1 FOR UPDATE`, [driverId]);
}

/** A driver has at most one active reservation or open trip. */
export async function assertNoActiveBooking(db: EntityManager, driverId: string): Promise<void> {
  const [row] = await queryRows<{ busy: boolean }>(
    db,
    `SELECT EXISTS (SELECT 1 FROM reservations WHERE driver_id = $1 AND status = 'active')
         OR EXISTS (SELECT 1 FROM trips WHERE driver_id = $1 AND status IN ('active', 'parked')) AS busy`,
    [driverId],
  );
  if (row.busy) {
    throw new ApiError(409, 'DRIVER_HAS_ACTIVE_BOOKING', 'you already have an active reservation or trip');
  }
}
