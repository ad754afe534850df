import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Handing a car over and back takes a command the car must confirm (unlock, lock), which can take as
 * long as the command's expiry. No database transaction is held open meanwhile; instead the row being
 * acted on is marked busy until a time, so that a second request for it is refused, the reservation
 * sweeper leaves a reservation alone while its unlock is under way, and a crashed request frees the
 * row when the mark runs out.
 * - reservations.direct: the hold a trip started without a reservation puts on its car during the
 *   unlock; it is cancelled if the car does not unlock.
 */
export class CarHandover1764100000000 implements MigrationInterface {
  name = 'CarHandover1764100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE reservations
        ADD COLUMN direct boolean NOT NULL DEFAULT false,
        ADD COLUMN busy_until timestamptz`);
    await q.query(`ALTER TABLE trips ADD COLUMN busy_until timestamptz`);
    await q.query(`CREATE INDEX trips_vehicle_time ON trips (vehicle_id, started_at DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS trips_vehicle_time`);
    await q.query(`ALTER TABLE trips DROP COLUMN IF EXISTS busy_until`);
    await q.query(`ALTER TABLE reservations DROP COLUMN IF EXISTS direct, DROP COLUMN IF EXISTS busy_until`);
  }
}
