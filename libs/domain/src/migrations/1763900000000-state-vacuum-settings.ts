import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * vehicle_state takes one update per telemetry sample, mostly non-HOT (the GiST index on position
 * changes), so it leaves a dead row version per sample: at 10,000 samples/s a 10,000-row table grew
 * to 260,000 dead rows in 25 s and every batch's update scanned them. Autovacuum wakes at most once a
 * minute per database, so the gateway also vacuums the table itself (StateVacuum). Here:
 * - vacuum_truncate off: truncating the emptied tail takes an ACCESS EXCLUSIVE lock, which stalled
 *   telemetry commits for about a second on each vacuum (measured);
 * - autovacuum by a fixed count of dead rows, not a fraction of a table that is always the same size;
 * - fillfactor 80: room on each page, so that updates that keep the position (a parked car's
 *   heartbeat) stay HOT on their page.
 */
export class StateVacuumSettings1763900000000 implements MigrationInterface {
  name = 'StateVacuumSettings1763900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE vehicle_state SET (vacuum_truncate = false, autovacuum_vacuum_scale_factor = 0,
         autovacuum_vacuum_threshold = 10000, autovacuum_vacuum_cost_delay = 0, fillfactor = 80)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE vehicle_state RESET (vacuum_truncate, autovacuum_vacuum_scale_factor,
         autovacuum_vacuum_threshold, autovacuum_vacuum_cost_delay, fillfactor)`,
    );
  }
}
