import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Drops the partial index on vehicle_state.last_seen_at: every telemetry commit writes last_seen_at,
 * and an index on it made every latest-state update a non-HOT one (a parked car's update could
 * otherwise stay on its page). The silence check scans the online rows instead, every few seconds.
 */
export class StateUpdatesHot1763800000000 implements MigrationInterface {
  name = 'StateUpdatesHot1763800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS vehicle_state_online_seen`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX vehicle_state_online_seen ON vehicle_state (last_seen_at) WHERE online`);
  }
}
