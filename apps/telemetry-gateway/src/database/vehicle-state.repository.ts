import { queryRows, readVehicleViews, VehicleState, VehicleView } from '@fleet/domain';
import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';

/** A comms transition that was written, with its MDS event. */
export interface CommsTransition {
  vehicleId: string;
  from: VehicleState;
  to: VehicleState;
}

/**
 * Online/offline transitions of the latest state, each written with its MDS event (`comms_lost`,
 * `comms_restored`) in the same statement. Conditional on the current flag, so that several gateway
 * instances (or a status message racing a telemetry batch) record a transition once.
 */
@Injectable()
export class VehicleStateRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Marks vehicles online that were offline; back to the state they had before. */
  async markOnline(
    vehicleIds: string[],
    db: EntityManager = this.dataSource.manager,
  ): Promise<CommsTransition[]> {
    if (vehicleIds.length === 0) return [];
    const rows = await queryRows<{ vehicle_id: string; state_from: VehicleState; state_to: VehicleState }>(
      db,
      `WITH changed AS (
         UPDATE vehicle_state v
            SET online = true, online_changed_at = now(), last_seen_at = now(),
                state = COALESCE(v.state_before_offline, v.state), state_before_offline = NULL,
                state_changed_at = now(), updated_at = now()
          WHERE v.vehicle_id = ANY($1) AND NOT v.online
          RETURNING v.vehicle_id, v.state
       ), ev AS (
         INSERT INTO vehicle_events (vehicle_id, event_type, state_from, state_to)
         SELECT vehicle_id, 'comms_restored', 'non_contactable', state FROM changed
       )
       SELECT vehicle_id, 'non_contactable' AS state_from, state AS state_to FROM changed`,
      [vehicleIds],
    );
    return rows.map((r) => ({ vehicleId: r.vehicle_id, from: r.state_from, to: r.state_to }));
  }

  /** Marks vehicles offline (`non_contactable`) that were online, remembering their state. */
  async markOffline(vehicleIds: string[], reason: string): Promise<CommsTransition[]> {
    if (vehicleIds.length === 0) return [];
    return this.goOffline(`v.vehicle_id = ANY($1)`, [vehicleIds, reason]);
  }

  /** Marks offline every online vehicle silent for longer than `timeoutS` seconds. */
  async markSilentOffline(timeoutS: number): Promise<CommsTransition[]> {
    return this.goOffline(`v.last_seen_at < now() - make_interval(secs => $1)`, [
      timeoutS,
      'silence timeout',
    ]);
  }

  private async goOffline(condition: string, params: unknown[]): Promise<CommsTransition[]> {
    const reasonParam = `$${params.length}`;
    const rows = await queryRows<{ vehicle_id: string; state_from: VehicleState }>(
      this.dataSource,
      `WITH target AS (
         SELECT vehicle_id, state FROM vehicle_state v
          WHERE v.online AND ${condition}
          ORDER BY vehicle_id
          FOR UPDATE
       ), changed AS (
         UPDATE vehicle_state v
            SET online = false, online_changed_at = now(), state_before_offline = t.state,
                state = 'non_contactable', state_changed_at = now(), updated_at = now()
           FROM target t
          WHERE v.vehicle_id = t.vehicle_id
          RETURNING v.vehicle_id, t.state AS state_from
       ), ev AS (
         INSERT INTO vehicle_events (vehicle_id, event_type, state_from, state_to, details)
         SELECT vehicle_id, 'comms_lost', state_from, 'non_contactable', jsonb_build_object('reason', ${reasonParam}::text)
           FROM changed
       )
       SELECT vehicle_id, state_from FROM changed`,
      params,
    );
    return rows.map((r) => ({ vehicleId: r.vehicle_id, from: r.state_from, to: 'non_contactable' }));
  }

  /**
   * Vacuums the latest-state table if it holds at least `minDeadRows` dead row versions and no other
   * gateway instance is vacuuming it. Returns the dead rows it found, or null when it left it alone.
   */
  async vacuumIfBloated(minDeadRows: number): Promise<number | null> {
    const runner = this.dataSource.createQueryRunner();
    try {
      const [{ locked }] = await queryRows<{ locked: boolean }>(
        runner.manager,
        `SELECT pg_try_advisory_lock(hashtext('fleet:vehicle_state:vacuum')) AS locked`,
      );
      if (!locked) return null;
      try {
        const [stats] = await queryRows<{ dead: string }>(
          runner.manager,
          `SELECT n_dead_tup AS dead FROM pg_stat_user_tables WHERE relid = 'vehicle_state'::regclass`,
        );
        const dead = Number(stats?.dead ?? 0);
        if (dead < minDeadRows) return null;
        await runner.query(`VACUUM (TRUNCATE false) vehicle_state`);
        return dead;
      } finally {
        await runner.query(`SELECT pg_advisory_unlock(hashtext('fleet:vehicle_state:vacuum'))`);
      }
    } finally {
      await runner.release();
    }
  }

  /** The current view of vehicles, as the state stream carries it. */
  views(vehicleIds: string[]): Promise<VehicleView[]> {
    return readVehicleViews(this.dataSource, vehicleIds);
  }

  /** Ids among these that are registered vehicles. */
  async existing(vehicleIds: string[]): Promise<Set<string>> {
    const rows = await queryRows<{ id: string }>(
      this.dataSource,
      `SELECT id FROM vehicles WHERE id = ANY($1)`,
      [vehicleIds],
    );
    return new Set(rows.map((r) => r.id));
  }
}
