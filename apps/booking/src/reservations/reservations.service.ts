import { queryRows, transition } from '@fleet/domain';
import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { Caller } from '../auth/auth.types';
import { ApiError, notFound } from '../common/api-error';
import { BookingConfig } from '../config/booking.config';
import { bookableCondition, UUID_PATTERN } from '../vehicles/bookable';

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
 * its state (only from `available`, only while bookable), and a partial unique index allows one
 * active reservation per car and per driver. A driver's booking writes are serialised on their user
 * row, so "one active reservation or trip per driver" holds across both tables.
 */
@Injectable()
export class ReservationsService {
  private readonly claimSql: string;

  constructor(
    private readonly dataSource: DataSource,
    private readonly config: BookingConfig,
  ) {
    this.claimSql = `
      UPDATE vehicle_state s SET state = 'reserved', state_changed_at = now(), updated_at = now()
        FROM vehicles v
       WHERE s.vehicle_id = $1 AND v.id = s.vehicle_id AND ${bookableCondition(config)}
       RETURNING s.vehicle_id`;
  }

  async create(
    caller: Caller,
    vehicleId: string,
    idempotencyKey?: string,
  ): Promise<IdempotentResult<ReservationView>> {
    const requestHash = createHash('sha256').update(JSON.stringify({ vehicleId })).digest('hex');
    return this.dataSource.transaction(async (db) => {
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
      const [vehicle] = await queryRows<{ id: string }>(db, `SELECT id FROM vehicles WHERE id = $1`, [
        vehicleId,
      ]);
      if (!vehicle) throw notFound('vehicle', 'VEHICLE_NOT_FOUND');
      const claimed = await queryRows(db, this.claimSql, [vehicleId]);
      if (claimed.length === 0)
        throw new ApiError(409, 'VEHICLE_UNAVAILABLE', 'this car cannot be booked now');
      await recordEvent(db, vehicleId, 'available', 'reservation_start', 'reserved');
      const [row] = await queryRows<Row>(
        db,
        `INSERT INTO reservations (driver_id, vehicle_id, status, expires_at)
         VALUES ($1, $2, 'active', now() + make_interval(mins => $3)) RETURNING ${COLUMNS}`,
        [caller.id, vehicleId, this.config.RESERVATION_FREE_MIN],
      );
      const body = view(row);
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

  /** The reservation, to its driver or an operator; 404 to anyone else. */
  async get(caller: Caller, id: string): Promise<ReservationView> {
    const rows = UUID_PATTERN.test(id)
      ? await queryRows<Row>(
          this.dataSource,
          `SELECT ${COLUMNS} FROM reservations WHERE id = $1 AND (driver_id = $2 OR $3)`,
          [id, caller.id, caller.role === 'operator'],
        )
      : [];
    if (rows.length === 0) throw notFound('reservation', 'RESERVATION_NOT_FOUND');
    return view(rows[0]);
  }

  /** Cancels an active reservation; the car is bookable again at once. */
  async cancel(caller: Caller, id: string): Promise<ReservationView> {
    const current = await this.get(caller, id);
    if (current.status !== 'active') {
      throw new ApiError(409, 'RESERVATION_NOT_ACTIVE', `the reservation is ${current.status}`);
    }
    return this.dataSource.transaction(async (db) => {
      const [row] = await queryRows<Row>(
        db,
        `UPDATE reservations SET status = 'cancelled', ended_at = now() WHERE id = $1 AND status = 'active'
         RETURNING ${COLUMNS}`,
        [id],
      );
      if (!row) throw new ApiError(409, 'RESERVATION_NOT_ACTIVE', 'the reservation has just ended');
      await releaseCars(db, [row.vehicleId], 'customer_cancellation');
      return view(row);
    });
  }

  /** Ends every reservation whose free time ran out and frees its car; returns how many. */
  async expireDue(): Promise<number> {
    return this.dataSource.transaction(async (db) => {
      const expired = await queryRows<{ vehicle_id: string }>(
        db,
        `UPDATE reservations SET status = 'expired', ended_at = now()
          WHERE status = 'active' AND expires_at <= now() RETURNING vehicle_id`,
      );
      await releaseCars(
        db,
        expired.map((r) => r.vehicle_id),
        'provider_cancellation',
      );
      return expired.length;
    });
  }
}

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

/** Writes a vehicle event after checking the transition against the MDS state machine. */
export async function recordEvent(
  db: EntityManager,
  vehicleId: string,
  from: Parameters<typeof transition>[0],
  event: Parameters<typeof transition>[1],
  to: Parameters<typeof transition>[2],
): Promise<void> {
  transition(from, event, to);
  await queryRows(
    db,
    `INSERT INTO vehicle_events (vehicle_id, event_type, state_from, state_to) VALUES ($1, $2, $3, $4)`,
    [vehicleId, event, from, to],
  );
}

/**
 * Reserved cars back to available (a car offline meanwhile gets `available` as the state it returns
 * to), each with its event.
 */
async function releaseCars(
  db: EntityManager,
  vehicleIds: string[],
  event: 'customer_cancellation' | 'provider_cancellation',
): Promise<void> {
  if (vehicleIds.length === 0) return;
  transition('reserved', event, 'available');
  await queryRows(
    db,
    `WITH freed AS (
       UPDATE vehicle_state s
          SET state = CASE WHEN s.state = 'reserved' THEN 'available' ELSE s.state END,
              state_before_offline = CASE WHEN s.state_before_offline = 'reserved' THEN 'available'
                                          ELSE s.state_before_offline END,
              state_changed_at = now(), updated_at = now()
        WHERE s.vehicle_id = ANY($1) AND (s.state = 'reserved' OR s.state_before_offline = 'reserved')
        RETURNING s.vehicle_id, s.state
     )
     INSERT INTO vehicle_events (vehicle_id, event_type, state_from, state_to, details)
     SELECT vehicle_id, $2, 'reserved', 'available',
            CASE WHEN state = 'non_contactable' THEN '{"whileOffline": true}'::jsonb END
       FROM freed`,
    [vehicleIds, event],
  );
}
