import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A per-car version of `vehicle_state`, one more at every update of the row. Followers of the state
 * stream (the live map, booking's nearby index) keep a car's view with the highest version: row locks
 * order the updates of one row, so the version is the order they committed in. `updated_at` cannot
 * order them: it is `now()`, the start of the writing transaction, and a transaction that began first
 * may commit last (a telemetry batch and a status change of the same car, measured in the live-map
 * test: the car's position was overwritten by an older view without one).
 */
export class VehicleStateVersion1764300000000 implements MigrationInterface {
  name = 'VehicleStateVersion1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE vehicle_state ADD COLUMN version bigint NOT NULL DEFAULT 0`);
    await q.query(
      `CREATE FUNCTION vehicle_state_next_version() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         NEW.version := OLD.version + 1;
         RETURN NEW;
       END $$`,
    );
    await q.query(
      `CREATE TRIGGER vehicle_state_version BEFORE UPDATE ON vehicle_state
       FOR EACH ROW EXECUTE FUNCTION vehicle_state_next_version()`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER IF EXISTS vehicle_state_version ON vehicle_state`);
    await q.query(`DROP FUNCTION IF EXISTS vehicle_state_next_version()`);
    await q.query(`ALTER TABLE vehicle_state DROP COLUMN IF EXISTS version`);
  }
}
