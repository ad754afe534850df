import { queryRows } from '@fleet/domain';
import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import type { Price } from '../pricing/pricing';

export type TripStatus = 'active' | 'parked' | 'completed';

/** A trip as stored. */
export interface TripRow {
  id: string;
  driverId: string;
  vehicleId: string;
  reservationId: string | null;
  status: TripStatus;
  startedAt: Date;
  parkedSince: Date | null;
  parkedS: number;
  endedAt: Date | null;
  distanceM: number | null;
  price: Price | null;
  busy: boolean;
}

const COLUMNS = `t.id, t.driver_id AS "driverId", t.vehicle_id AS "vehicleId", t.reservation_id AS "reservationId",
  t.status, t.started_at AS "startedAt", t.parked_since AS "parkedSince", t.parked_s AS "parkedS",
  t.ended_at AS "endedAt", t.distance_m AS "distanceM", t.price,
  COALESCE(t.busy_until > now(), false) AS busy`;

/** Where a car stands and what it reports, judged against the zones, for ending a trip there. */
export interface ParkingCheck {
  fixAgeS: number | null;
  inBusinessArea: boolean;
  /** Metres to the nearest business area (0 inside one, null when there is none). */
  distanceToBusinessAreaM: number | null;
  noParkingZone: string | null;
  ignition: boolean | null;
  doorsClosed: boolean | null;
}

/** Trips, with their distance from the stored history, and the parking rules at the car's position. */
@Injectable()
export class TripsRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** The trip, if `driverId` drove it or `anyDriver`. */
  async find(
    id: string,
    driverId: string,
    anyDriver = false,
    db: EntityManager | DataSource = this.dataSource,
  ) {
    const [row] = await queryRows<TripRow>(
      db,
      `SELECT ${COLUMNS} FROM trips t WHERE t.id = $1 AND (t.driver_id = $2 OR $3)`,
      [id, driverId, anyDriver],
    );
    return row;
  }

  /** A driver's trips, newest first. */
  listOf(driverId: string, limit: number): Promise<TripRow[]> {
    return queryRows<TripRow>(
      this.dataSource,
      `SELECT ${COLUMNS} FROM trips t WHERE t.driver_id = $1 ORDER BY t.started_at DESC LIMIT $2`,
      [driverId, limit],
    );
  }

  /** Starts a trip on its reservation's car. */
  async insert(
    db: EntityManager,
    driverId: string,
    vehicleId: string,
    reservationId: string,
  ): Promise<TripRow> {
    const [row] = await queryRows<TripRow>(
      db,
      `INSERT INTO trips AS t (driver_id, vehicle_id, reservation_id, status)
       VALUES ($1, $2, $3, 'active') RETURNING ${COLUMNS}`,
      [driverId, vehicleId, reservationId],
    );
    return row;
  }

  /**
   * Marks the driver's trip busy for `seconds` if it is in one of `statuses` and not busy already;
   * undefined when it is not (the caller finds out why).
   */
  async markBusy(
    id: string,
    driverId: string,
    statuses: TripStatus[],
    seconds: number,
  ): Promise<TripRow | undefined> {
    const [row] = await queryRows<TripRow>(
      this.dataSource,
      `UPDATE trips t SET busy_until = now() + make_interval(secs => $4)
        WHERE t.id = $1 AND t.driver_id = $2 AND t.status = ANY($3) AND (t.busy_until IS NULL OR t.busy_until <= now())
       RETURNING ${COLUMNS}`,
      [id, driverId, statuses, seconds],
    );
    return row;
  }

  async clearBusy(id: string): Promise<void> {
    await queryRows(this.dataSource, `UPDATE trips SET busy_until = NULL WHERE id = $1`, [id]);
  }

  /** Parks the trip (locked for a stopover) from now. */
  async park(db: EntityManager, id: string): Promise<TripRow> {
    const [row] = await queryRows<TripRow>(
      db,
      `UPDATE trips t SET status = 'parked', parked_since = now(), busy_until = NULL
        WHERE t.id = $1 AND t.status = 'active' RETURNING ${COLUMNS}`,
      [id],
    );
    return row;
  }

  /** Resumes a parked trip, adding the stopover to its parked time. */
  async resume(db: EntityManager, id: string): Promise<TripRow> {
    const [row] = await queryRows<TripRow>(
      db,
      `UPDATE trips t SET status = 'active', parked_s = parked_s + extract(epoch FROM now() - parked_since),
              parked_since = NULL, busy_until = NULL
        WHERE t.id = $1 AND t.status = 'parked' RETURNING ${COLUMNS}`,
      [id],
    );
    return row;
  }

  /**
   * Closes the trip now: the stopover in progress is added to its parked time. Returns what pricing
   * needs: the durations, the distance driven from the stored history, the reserved time before it.
   */
  async close(db: EntityManager, id: string) {
    const [row] = await queryRows<{
      durationS: number;
      parkedS: number;
      reservedS: number;
      distanceM: number;
      wasParked: boolean;
    }>(
      db,
      `WITH closed AS (
         UPDATE trips t SET status = 'completed', ended_at = now(), busy_until = NULL, parked_since = NULL,
                parked_s = t.parked_s + COALESCE(extract(epoch FROM now() - t.parked_since), 0)
           FROM trips before
          WHERE t.id = $1 AND before.id = t.id AND t.status IN ('active', 'parked')
         RETURNING t.*, before.status = 'parked' AS was_parked
       )
       SELECT extract(epoch FROM c.ended_at - c.started_at)::float8 AS "durationS", c.parked_s AS "parkedS",
              c.was_parked AS "wasParked",
              COALESCE((SELECT extract(epoch FROM r.ended_at - r.created_at)::float8 FROM reservations r
                         WHERE r.id = c.reservation_id AND NOT r.direct), 0) AS "reservedS",
              (SELECT COALESCE(sum(ST_Distance(h.position, h.previous)), 0)::float8
                 FROM (SELECT position, lag(position) OVER (ORDER BY fix_at) AS previous
                         FROM telemetry
                        WHERE vehicle_id = c.vehicle_id AND fix_at BETWEEN c.started_at AND c.ended_at) h
                WHERE h.previous IS NOT NULL) AS "distanceM"
         FROM closed c`,
      [id],
    );
    return row;
  }

  /** Stores the price and distance of a closed trip. */
  async settle(db: EntityManager, id: string, distanceM: number, price: Price): Promise<TripRow> {
    const [row] = await queryRows<TripRow>(
      db,
      `UPDATE trips t SET distance_m = $2, price = $3 WHERE t.id = $1 RETURNING ${COLUMNS}`,
      [id, distanceM, JSON.stringify(price)],
    );
    return row;
  }

  /** The car's latest fix and reports against the zones: what ending a trip there depends on. */
  async parkingCheck(vehicleId: string): Promise<ParkingCheck> {
    const [row] = await queryRows<ParkingCheck>(
      this.dataSource,
      `SELECT extract(epoch FROM now() - s.fix_at)::float8 AS "fixAgeS",
              EXISTS (SELECT 1 FROM zones z WHERE z.kind = 'business_area' AND ST_Covers(z.shape, s.position::geometry))
                AS "inBusinessArea",
              (SELECT min(ST_Distance(z.geometry, s.position)) FROM zones z WHERE z.kind = 'business_area')
                AS "distanceToBusinessAreaM",
              (SELECT z.name FROM zones z WHERE z.kind = 'no_parking' AND ST_Intersects(z.shape, s.position::geometry)
                LIMIT 1) AS "noParkingZone",
              s.ignition, s.doors_closed AS "doorsClosed"
         FROM vehicle_state s WHERE s.vehicle_id = $1`,
      [vehicleId],
    );
    return row;
  }
}
