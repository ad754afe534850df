import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Time indexes for the retention jobs on the two gateway tables that had none. A job deletes its
 * oldest rows a batch at a time; without an index each batch would scan the table from the start,
 * over every page the batches before it had emptied, so a first run on a year of events would
 * slow down with every batch. (Quarantine, idempotency keys, sessions and the audit log are
 * indexed by time already.)
 */
export class RetentionIndexes1764510000000 implements MigrationInterface {
  name = 'RetentionIndexes1764510000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX vehicle_events_occurred ON vehicle_events (occurred_at)`);
    await q.query(`CREATE INDEX vehicle_commands_issued ON vehicle_commands (issued_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS vehicle_commands_issued`);
    await q.query(`DROP INDEX IF EXISTS vehicle_events_occurred`);
  }
}
