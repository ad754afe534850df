import { queryRows, transition, VehicleEventType, VehicleState } from '@fleet/domain';
import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { BookingConfig } from '../config/booking.config';
import { bookableCondition } from './bookable';
import { StateChangePublisher } from './state-changes';

/** One step of a car's state: the MDS event and the state it leads to. */
export type StateStep = readonly [event: VehicleEventType, to: VehicleState];

/**
 * The booking service's writes to the cars' MDS state, each checked against the domain state machine
 * and written with its events in the same statement. A car that went offline meanwhile keeps
 * `non_contactable` and gets the new state as the one it returns to.
 */
@Injectable()
export class FleetStateRepository {
  private readonly claimSql: string;
  private readonly bookableSql: string;
  /** Cars moved inside each open `transaction`, announced after its commit. */
  private readonly moved = new WeakMap<EntityManager, Set<string>>();

  constructor(
    config: BookingConfig,
    private readonly dataSource: DataSource,
    private readonly changes: StateChangePublisher,
  ) {
    this.bookableSql = `
      SELECT ${bookableCondition(config)} AS bookable
        FROM vehicles v JOIN vehicle_state s ON s.vehicle_id = v.id WHERE v.id = $1`;
    this.claimSql = `
      WITH claimed AS (
        UPDATE vehicle_state s SET state = 'reserved', state_changed_at = now(), updated_at = now()
          FROM vehicles v
         WHERE s.vehicle_id = $1 AND v.id = s.vehicle_id AND ${bookableCondition(config)}
         RETURNING s.vehicle_id
      )
      INSERT INTO vehicle_events (vehicle_id, event_type, state_from, state_to)
      SELECT vehicle_id, 'reservation_start', 'available', 'reserved' FROM claimed
      RETURNING vehicle_id`;
  }

  /**
   * Runs `work` in a transaction; the cars it moves (claim, advance) are announced on the state
   * stream once it has committed. Every booking write that moves a car goes through here.
   */
  async transaction<T>(work: (db: EntityManager) => Promise<T>): Promise<T> {
    const moved = new Set<string>();
    const result = await this.dataSource.transaction(async (db) => {
      this.moved.set(db, moved);
      try {
        return await work(db);
      } finally {
        this.moved.delete(db);
      }
    });
    // Awaited: this instance's nearby search shows the change before the caller answers (the
    // publisher never throws).
    if (moved.size > 0) await this.changes.publish([...moved]);
    return result;
  }

  /** Whether the car is bookable right now (a hint: only `claim` decides); undefined for no such car. */
  async isBookable(db: DataSource | EntityManager, vehicleId: string): Promise<boolean | undefined> {
    const [row] = await queryRows<{ bookable: boolean }>(db, this.bookableSql, [vehicleId]);
    return row?.bookable;
  }

  /**
   * Claims a car for a driver: available -> reserved, only while it is bookable. The conditional
   * update is what keeps two drivers off one car. False when the car is not bookable.
   */
  async claim(db: EntityManager, vehicleId: string): Promise<boolean> {
    transition('available', 'reservation_start', 'reserved');
    const claimed = (await queryRows(db, this.claimSql, [vehicleId])).length > 0;
    if (claimed) this.note(db, [vehicleId]);
    return claimed;
  }

  /**
   * Moves cars that are in `from` (or offline, having been in `from`) along `steps`, writing one
   * event per step; returns the ids moved. Throws IllegalTransitionError for a path the MDS state
   * machine does not allow.
   */
  async advance(
    db: EntityManager,
    vehicleIds: readonly string[],
    from: VehicleState,
    steps: readonly StateStep[],
  ): Promise<string[]> {
    if (vehicleIds.length === 0 || steps.length === 0) return [];
    const froms: VehicleState[] = [];
    let state = from;
    for (const [event, to] of steps) {
      froms.push(state);
      state = transition(state, event, to);
    }
    const rows = await queryRows<{ vehicle_id: string }>(
      db,
      `WITH moved AS (
         UPDATE vehicle_state s
            SET state = CASE WHEN s.state = $2 THEN $3 ELSE s.state END,
                state_before_offline = CASE WHEN s.state_before_offline = $2 THEN $3
                                            ELSE s.state_before_offline END,
                state_changed_at = now(), updated_at = now()
          WHERE s.vehicle_id = ANY($1) AND (s.state = $2 OR s.state_before_offline = $2)
          RETURNING s.vehicle_id, s.state
       ), events AS (
         INSERT INTO vehicle_events (vehicle_id, event_type, state_from, state_to, details)
         SELECT m.vehicle_id, e.event, e.state_from, e.state_to,
                CASE WHEN m.state = 'non_contactable' THEN '{"whileOffline": true}'::jsonb END
           FROM moved m, unnest($4::text[], $5::text[], $6::text[]) WITH ORDINALITY AS e(event, state_from, state_to, n)
          ORDER BY m.vehicle_id, e.n
       )
       SELECT vehicle_id FROM moved`,
      [vehicleIds, from, state, steps.map((s) => s[0]), froms, steps.map((s) => s[1])],
    );
    const ids = rows.map((r) => r.vehicle_id);
    this.note(db, ids);
    return ids;
  }

  private note(db: EntityManager, vehicleIds: string[]): void {
    const moved = this.moved.get(db);
    if (!moved)
      throw new Error('car state changed outside FleetStateRepository.transaction: it would go unannounced');
    for (const id of vehicleIds) moved.add(id);
  }
}
