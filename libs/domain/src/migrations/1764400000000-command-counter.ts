import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A per-vehicle command counter: every command sent to a car carries the next number of its car, so
 * the car can refuse a command it has seen (a replay) or one older than the last it took (out of
 * order: an `unlock` queued while the car was offline must not run after the `lock` that followed).
 * The number is taken in the statement that records the command, so gateways side by side never
 * hand out the same one.
 */
export class CommandCounter1764400000000 implements MigrationInterface {
  name = 'CommandCounter1764400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE vehicles ADD COLUMN command_counter bigint NOT NULL DEFAULT 0`);
    await q.query(`ALTER TABLE vehicle_commands ADD COLUMN counter bigint`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE vehicle_commands DROP COLUMN counter`);
    await q.query(`ALTER TABLE vehicles DROP COLUMN command_counter`);
  }
}
