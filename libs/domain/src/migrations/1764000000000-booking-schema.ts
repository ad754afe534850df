import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Users, zones, reservations, trips and idempotency keys of the booking service.
 * No double booking is the database's job: at most one active reservation per car and per driver
 * (partial unique indexes), at most one open trip per car and per driver, and the booking service
 * claims a car with a conditional update of its state.
 */
export class BookingSchema1764000000000 implements MigrationInterface {
  name = 'BookingSchema1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE users (
        id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        email         text NOT NULL CHECK (email = lower(email)),
        name          text NOT NULL,
        role          text NOT NULL CHECK (role IN ('driver', 'operator')),
        password_hash text NOT NULL,
        created_at    timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX users_email ON users (email)`);

    await q.query(`
      CREATE TABLE zones (
        id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name       text NOT NULL,
        kind       text NOT NULL CHECK (kind IN ('business_area', 'no_parking')),
        geometry   geography(MultiPolygon, 4326) NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX zones_geometry_gist ON zones USING gist (geometry)`);

    await q.query(`
      CREATE TABLE reservations (
        id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        driver_id  uuid NOT NULL REFERENCES users (id),
        vehicle_id text NOT NULL REFERENCES vehicles (id),
        status     text NOT NULL CHECK (status IN ('active', 'cancelled', 'expired', 'converted')),
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        ended_at   timestamptz,
        CHECK (expires_at > created_at)
      )`);
    await q.query(
      `CREATE UNIQUE INDEX reservations_active_vehicle ON reservations (vehicle_id) WHERE status = 'active'`,
    );
    await q.query(
      `CREATE UNIQUE INDEX reservations_active_driver ON reservations (driver_id) WHERE status = 'active'`,
    );
    await q.query(`CREATE INDEX reservations_expiry ON reservations (expires_at) WHERE status = 'active'`);
    await q.query(`CREATE INDEX reservations_driver_time ON reservations (driver_id, created_at DESC)`);

    await q.query(`
      CREATE TABLE trips (
        id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        driver_id      uuid NOT NULL REFERENCES users (id),
        vehicle_id     text NOT NULL REFERENCES vehicles (id),
        reservation_id uuid UNIQUE REFERENCES reservations (id),
        status         text NOT NULL CHECK (status IN ('active', 'parked', 'completed')),
        started_at     timestamptz NOT NULL DEFAULT now(),
        parked_since   timestamptz,
        parked_s       double precision NOT NULL DEFAULT 0,
        ended_at       timestamptz,
        distance_m     double precision,
        price          jsonb,
        CHECK ((status = 'parked') = (parked_since IS NOT NULL))
      )`);
    await q.query(
      `CREATE UNIQUE INDEX trips_open_vehicle ON trips (vehicle_id) WHERE status IN ('active', 'parked')`,
    );
    await q.query(
      `CREATE UNIQUE INDEX trips_open_driver ON trips (driver_id) WHERE status IN ('active', 'parked')`,
    );
    await q.query(`CREATE INDEX trips_driver_time ON trips (driver_id, started_at DESC)`);

    // A repeated POST with the same Idempotency-Key answers what the first one answered.
    await q.query(`
      CREATE TABLE idempotency_keys (
        user_id      uuid NOT NULL REFERENCES users (id),
        key          text NOT NULL,
        request_hash text NOT NULL,
        status_code  int NOT NULL,
        response     jsonb NOT NULL,
        created_at   timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (user_id, key)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS idempotency_keys, trips, reservations, zones, users`);
  }
}
