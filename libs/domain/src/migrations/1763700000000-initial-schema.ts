import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * PostGIS, vehicles, latest state, partitioned telemetry history, quarantine, MDS events, commands.
 * Hand-written; a committed migration is never edited, only followed by a new one.
 */
export class InitialSchema1763700000000 implements MigrationInterface {
  name = 'InitialSchema1763700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE EXTENSION IF NOT EXISTS postgis`);

    await q.query(`
      CREATE TABLE vehicles (
        id                 text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$'),
        plate              text NOT NULL,
        model              text NOT NULL,
        propulsion         text NOT NULL CHECK (propulsion IN ('combustion', 'electric')),
        vehicle_type_id    text,
        operational_status text NOT NULL DEFAULT 'active'
                           CHECK (operational_status IN ('active', 'maintenance', 'removed')),
        mqtt_username      text UNIQUE,
        mqtt_password_hash text,
        created_at         timestamptz NOT NULL DEFAULT now(),
        updated_at         timestamptz NOT NULL DEFAULT now()
      )`);

    const states = `'available','reserved','on_trip','stopped','non_operational','non_contactable','removed','elsewhere'`;
    // Latest known state, one row a vehicle. Position fields move only forward in fix time.
    await q.query(`
      CREATE TABLE vehicle_state (
        vehicle_id           text PRIMARY KEY REFERENCES vehicles (id) ON DELETE CASCADE,
        position             geography(Point, 4326),
        fix_at               timestamptz,
        seq                  bigint,
        accuracy_m           double precision,
        heading_deg          double precision,
        speed_kmh            double precision,
        odometer_km          double precision,
        range_km             double precision,
        fuel_pct             double precision,
        battery_pct          double precision,
        locked               boolean,
        ignition             boolean,
        doors_closed         boolean,
        online               boolean NOT NULL DEFAULT false,
        online_changed_at    timestamptz,
        last_seen_at         timestamptz,
        state                text NOT NULL DEFAULT 'non_contactable' CHECK (state IN (${states})),
        state_before_offline text CHECK (state_before_offline IN (${states})),
        state_changed_at     timestamptz NOT NULL DEFAULT now(),
        updated_at           timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX vehicle_state_position_gist ON vehicle_state USING gist (position)`);
    await q.query(`CREATE INDEX vehicle_state_online_seen ON vehicle_state (last_seen_at) WHERE online`);

    // Every vehicle has a state row from the moment it exists: offline until its first message, then
    // back to what its operational status says.
    await q.query(`
      CREATE FUNCTION fleet_vehicle_state_row() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO vehicle_state (vehicle_id, state, state_before_offline)
        VALUES (NEW.id, 'non_contactable',
                CASE NEW.operational_status WHEN 'active' THEN 'available'
                                            WHEN 'maintenance' THEN 'non_operational'
                                            ELSE 'removed' END)
        ON CONFLICT (vehicle_id) DO NOTHING;
        RETURN NEW;
      END $$`);
    await q.query(`
      CREATE TRIGGER vehicles_state_row AFTER INSERT ON vehicles
      FOR EACH ROW EXECUTE FUNCTION fleet_vehicle_state_row()`);

    // History, partitioned by fix time (one partition a day, made ahead by the gateway; the default
    // partition catches anything outside them). (vehicle_id, fix_at) is the key and the index for
    // "one vehicle, a time range".
    await q.query(`
      CREATE TABLE telemetry (
        vehicle_id   text NOT NULL,
        fix_at       timestamptz NOT NULL,
        seq          bigint,
        position     geography(Point, 4326) NOT NULL,
        accuracy_m   double precision,
        heading_deg  double precision,
        speed_kmh    double precision,
        odometer_km  double precision,
        range_km     double precision,
        fuel_pct     double precision,
        battery_pct  double precision,
        locked       boolean NOT NULL,
        ignition     boolean,
        doors_closed boolean,
        received_at  timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (vehicle_id, fix_at)
      ) PARTITION BY RANGE (fix_at)`);
    await q.query(`CREATE INDEX telemetry_vehicle_seq ON telemetry (vehicle_id, seq) WHERE seq IS NOT NULL`);
    await q.query(`CREATE TABLE telemetry_default PARTITION OF telemetry DEFAULT`);
    await q.query(`
      CREATE FUNCTION fleet_ensure_telemetry_partitions(from_day date, to_day date) RETURNS integer
      LANGUAGE plpgsql AS $$
      DECLARE
        d date := from_day;
        made integer := 0;
        name text;
      BEGIN
        WHILE d <= to_day LOOP
          name := 'telemetry_p' || to_char(d, 'YYYYMMDD');
          IF to_regclass(name) IS NULL THEN
            BEGIN
              EXECUTE format('CREATE TABLE %I PARTITION OF telemetry FOR VALUES FROM (%L) TO (%L)',
                             name, d::timestamptz AT TIME ZONE 'UTC', (d + 1)::timestamptz AT TIME ZONE 'UTC');
              made := made + 1;
            EXCEPTION WHEN check_violation THEN
              -- rows for that day already sit in the default partition: leave them there
              RAISE NOTICE 'telemetry partition % skipped: default partition holds its rows', name;
            END;
          END IF;
          d := d + 1;
        END LOOP;
        RETURN made;
      END $$`);
    await q.query(`SELECT fleet_ensure_telemetry_partitions(current_date - 1, current_date + 7)`);

    await q.query(`
      CREATE TABLE telemetry_quarantine (
        id            bigserial PRIMARY KEY,
        received_at   timestamptz NOT NULL DEFAULT now(),
        topic         text NOT NULL,
        vehicle_id    text,
        reason        text NOT NULL,
        details       text NOT NULL,
        sample_index  integer,
        payload       bytea NOT NULL,
        payload_bytes integer NOT NULL
      )`);
    await q.query(`CREATE INDEX telemetry_quarantine_received ON telemetry_quarantine (received_at DESC)`);
    await q.query(
      `CREATE INDEX telemetry_quarantine_vehicle ON telemetry_quarantine (vehicle_id, received_at DESC)`,
    );

    await q.query(`
      CREATE TABLE vehicle_events (
        id          bigserial PRIMARY KEY,
        vehicle_id  text NOT NULL REFERENCES vehicles (id) ON DELETE CASCADE,
        event_type  text NOT NULL CHECK (event_type IN (
                      'charging_start','charging_end','comms_lost','comms_restored','customer_cancellation',
                      'decommissioned','driver_cancellation','fueling_start','fueling_end','maintenance',
                      'maintenance_pick_up','maintenance_end','provider_cancellation','recommissioned',
                      'remote_start','remote_end','reservation_start','reservation_stop','service_start',
                      'service_end','trip_start','trip_stop','trip_resume','trip_end',
                      'trip_enter_jurisdiction','trip_leave_jurisdiction')),
        state_from  text CHECK (state_from IN (${states})),
        state_to    text NOT NULL CHECK (state_to IN (${states})),
        occurred_at timestamptz NOT NULL DEFAULT now(),
        details     jsonb
      )`);
    await q.query(
      `CREATE INDEX vehicle_events_vehicle_time ON vehicle_events (vehicle_id, occurred_at DESC)`,
    );

    await q.query(`
      CREATE TABLE vehicle_commands (
        id           uuid PRIMARY KEY,
        vehicle_id   text NOT NULL REFERENCES vehicles (id) ON DELETE CASCADE,
        type         text NOT NULL CHECK (type IN ('unlock', 'lock', 'locate', 'honk', 'immobilize')),
        status       text NOT NULL
                     CHECK (status IN ('queued', 'sent', 'succeeded', 'failed', 'rejected', 'expired')),
        reason       text,
        requested_by text,
        issued_at    timestamptz NOT NULL,
        expires_at   timestamptz NOT NULL,
        sent_at      timestamptz,
        completed_at timestamptz,
        CHECK (expires_at > issued_at)
      )`);
    await q.query(
      `CREATE INDEX vehicle_commands_vehicle_time ON vehicle_commands (vehicle_id, issued_at DESC)`,
    );
    await q.query(
      `CREATE INDEX vehicle_commands_open ON vehicle_commands (expires_at) WHERE status IN ('queued', 'sent')`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS vehicle_commands, vehicle_events, telemetry_quarantine`);
    await q.query(`DROP TABLE IF EXISTS telemetry`);
    await q.query(`DROP FUNCTION IF EXISTS fleet_ensure_telemetry_partitions(date, date)`);
    await q.query(`DROP TABLE IF EXISTS vehicle_state, vehicles`);
    await q.query(`DROP FUNCTION IF EXISTS fleet_vehicle_state_row()`);
  }
}
