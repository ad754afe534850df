import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Identity and access (CONTRACT.md 5): five roles (the one `operator` of part one becomes `admin`),
 * blocked and deleted accounts, sessions with rotating refresh tokens, TOTP with recovery codes,
 * one-time links (set or reset a password), and the append-only audit log of staff writes.
 */
export class IdentityAccess1764500000000 implements MigrationInterface {
  name = 'IdentityAccess1764500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE users DROP CONSTRAINT users_role_check`);
    await q.query(`UPDATE users SET role = 'admin' WHERE role = 'operator'`);
    await q.query(`
      ALTER TABLE users
        ADD CONSTRAINT users_role_check
          CHECK (role IN ('driver', 'service_agent', 'support', 'fleet_manager', 'admin')),
        ADD COLUMN blocked_at     timestamptz,
        ADD COLUMN blocked_reason text,
        ADD COLUMN deleted_at     timestamptz,
        ADD COLUMN updated_at     timestamptz NOT NULL DEFAULT now(),
        -- TOTP (RFC 6238): the secret sealed with a key derived from JWT_SECRET; enrolled once verified.
        ADD COLUMN totp_secret    text,
        ADD COLUMN totp_enabled_at timestamptz,
        -- The last time step a code was accepted for: a code is good once.
        ADD COLUMN totp_last_step bigint`);
    // An invited member has no password until they set one through their link.
    await q.query(`ALTER TABLE users ALTER COLUMN password_hash DROP NOT NULL`);

    await q.query(`
      CREATE TABLE sessions (
        id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        created_at   timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz NOT NULL DEFAULT now(),
        expires_at   timestamptz NOT NULL,
        ended_at     timestamptz,
        end_reason   text CHECK (end_reason IN ('logout', 'refresh_reuse', 'blocked', 'deleted',
                                                'password_changed', 'role_changed', 'revoked')),
        -- How the session was opened (RFC 8176): pwd, plus otp after a TOTP or recovery code.
        amr          text[] NOT NULL DEFAULT '{pwd}',
        ip           text,
        user_agent   text,
        CHECK ((ended_at IS NULL) = (end_reason IS NULL))
      )`);
    await q.query(`CREATE INDEX sessions_user ON sessions (user_id) WHERE ended_at IS NULL`);
    await q.query(`CREATE INDEX sessions_ended ON sessions (coalesce(ended_at, expires_at))`);

    // Every refresh token ever issued for a session, by its SHA-256: a used one shown again is a theft.
    await q.query(`
      CREATE TABLE refresh_tokens (
        token_hash  bytea PRIMARY KEY,
        session_id  uuid NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        issued_at   timestamptz NOT NULL DEFAULT now(),
        used_at     timestamptz
      )`);
    await q.query(`CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id)`);

    await q.query(`
      CREATE TABLE mfa_recovery_codes (
        user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        code_hash  bytea NOT NULL,
        used_at    timestamptz,
        PRIMARY KEY (user_id, code_hash)
      )`);

    // One-time links: set a password (staff invitation) or reset one.
    await q.query(`
      CREATE TABLE one_time_tokens (
        token_hash bytea PRIMARY KEY,
        user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        purpose    text NOT NULL CHECK (purpose IN ('set_password')),
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        used_at    timestamptz
      )`);

    await q.query(`
      CREATE TABLE audit_log (
        id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        at          timestamptz NOT NULL DEFAULT now(),
        actor_id    uuid,
        actor_email text,
        actor_role  text,
        action      text NOT NULL,
        target      text,
        vehicle_id  text,
        reason      text,
        ip          text,
        status_code int,
        detail      jsonb NOT NULL DEFAULT '{}'
      )`);
    await q.query(`CREATE INDEX audit_log_at ON audit_log (at DESC, id DESC)`);
    await q.query(`CREATE INDEX audit_log_actor ON audit_log (actor_id, at DESC)`);
    await q.query(
      `CREATE INDEX audit_log_vehicle ON audit_log (vehicle_id, at DESC) WHERE vehicle_id IS NOT NULL`,
    );
    // Append-only: no row changes; rows go only through the retention job, which says so for its
    // own transaction (SET LOCAL fleet.audit_purge = 'on').
    await q.query(`
      CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'DELETE' AND current_setting('fleet.audit_purge', true) = 'on' THEN
          RETURN OLD;
        END IF;
        RAISE EXCEPTION 'audit_log is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await q.query(`
      CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
        FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()`);
    await q.query(`
      CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
        FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()`);

    await q.query(`CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS idempotency_keys_created`);
    await q.query(
      `DROP TABLE IF EXISTS audit_log, one_time_tokens, mfa_recovery_codes, refresh_tokens, sessions`,
    );
    await q.query(`DROP FUNCTION IF EXISTS audit_log_append_only()`);
    await q.query(`DELETE FROM users WHERE password_hash IS NULL`);
    await q.query(`ALTER TABLE users ALTER COLUMN password_hash SET NOT NULL`);
    await q.query(`ALTER TABLE users DROP CONSTRAINT users_role_check`);
    await q.query(`UPDATE users SET role = 'operator' WHERE role <> 'driver'`);
    await q.query(`
      ALTER TABLE users
        ADD CONSTRAINT users_role_check CHECK (role IN ('driver', 'operator')),
        DROP COLUMN blocked_at, DROP COLUMN blocked_reason, DROP COLUMN deleted_at, DROP COLUMN updated_at,
        DROP COLUMN totp_secret, DROP COLUMN totp_enabled_at, DROP COLUMN totp_last_step`);
  }
}
