import { isUuid, Role } from '@fleet/auth';
import { queryRows } from '@fleet/domain';
import { Injectable } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';

/** An account as the API shows it. */
export interface UserView {
  id: string;
  email: string;
  name: string;
  role: Role;
}

/** What login and account management read of an account. */
export interface UserRecord extends UserView {
  password_hash: string | null;
  blocked_at: Date | null;
  blocked_reason: string | null;
  totp_secret: string | null;
  totp_enabled: boolean;
  created_at: Date;
}

const RECORD = `id, email, name, role, password_hash, blocked_at, blocked_reason, totp_secret,
                totp_enabled_at IS NOT NULL AS totp_enabled, created_at`;

/** A one-time link's token: 256 random bits, stored as its SHA-256. */
const tokenHash = (token: string) => createHash('sha256').update(token).digest();

/** The users table: drivers and staff, one account per email address, deleted ones anonymised. */
@Injectable()
export class UsersRepository {
  constructor(private readonly db: DataSource) {}

  async byEmail(email: string): Promise<UserRecord | undefined> {
    const [row] = await queryRows<UserRecord>(
      this.db,
      `SELECT ${RECORD} FROM users WHERE email = $1 AND deleted_at IS NULL`,
      [email.toLowerCase()],
    );
    return row;
  }

  async byId(id: string, db: DataSource | EntityManager = this.db): Promise<UserRecord | undefined> {
    if (!isUuid(id)) return undefined;
    const [row] = await queryRows<UserRecord>(
      db,
      `SELECT ${RECORD} FROM users WHERE id = $1 AND deleted_at IS NULL`,
      [id],
    );
    return row;
  }

  /** A new account, or undefined when the email is taken. */
  async insert(
    user: { email: string; name: string; role: Role; passwordHash: string | null },
    db: DataSource | EntityManager = this.db,
  ): Promise<UserView | undefined> {
    const [row] = await queryRows<UserView>(
      db,
      `INSERT INTO users (email, name, role, password_hash) VALUES ($1, $2, $3, $4)
       ON CONFLICT (email) DO NOTHING RETURNING id, email, name, role`,
      [user.email.toLowerCase(), user.name, user.role, user.passwordHash],
    );
    return row;
  }

  /** The first admin (FLEET_OPERATOR_EMAIL): created, or made admin with this password. */
  async upsertAdmin(email: string, name: string, passwordHash: string): Promise<UserView> {
    const [row] = await queryRows<UserView>(
      this.db,
      `INSERT INTO users (email, name, role, password_hash) VALUES ($1, $2, 'admin', $3)
       ON CONFLICT (email) DO UPDATE SET role = 'admin', password_hash = EXCLUDED.password_hash,
         blocked_at = NULL, blocked_reason = NULL, updated_at = now()
       RETURNING id, email, name, role`,
      [email.toLowerCase(), name, passwordHash],
    );
    return row;
  }

  async setPasswordHash(id: string, hash: string, db: DataSource | EntityManager = this.db): Promise<void> {
    await db.query(`UPDATE users SET password_hash = $2, updated_at = now() WHERE id = $1`, [id, hash]);
  }

  async setName(id: string, name: string): Promise<void> {
    await this.db.query(`UPDATE users SET name = $2, updated_at = now() WHERE id = $1`, [id, name]);
  }

  /** Staff, newest first, after the cursor's (created, id); or the one member `onlyId`. */
  async staffPage(limit: number, after?: { createdAt: string; id: string }, onlyId?: string) {
    return queryRows<
      UserView & {
        created_at: Date;
        blocked_at: Date | null;
        blocked_reason: string | null;
        invited: boolean;
        totp_enabled: boolean;
      }
    >(
      this.db,
      `SELECT id, email, name, role, created_at, blocked_at, blocked_reason, password_hash IS NULL AS invited,
              totp_enabled_at IS NOT NULL AS totp_enabled
         FROM users
        WHERE role <> 'driver' AND deleted_at IS NULL
          AND ($2::timestamptz IS NULL OR (created_at, id) < ($2::timestamptz, $3::uuid))
          AND ($4::uuid IS NULL OR id = $4::uuid)
        ORDER BY created_at DESC, id DESC LIMIT $1`,
      [limit, after?.createdAt ?? null, after?.id ?? null, onlyId ?? null],
    );
  }

  async setRole(id: string, role: Role, db: EntityManager): Promise<void> {
    await db.query(`UPDATE users SET role = $2, updated_at = now() WHERE id = $1`, [id, role]);
  }

  async setBlocked(id: string, reason: string | null, db: EntityManager): Promise<void> {
    await db.query(
      `UPDATE users SET blocked_at = CASE WHEN $2::text IS NULL THEN NULL ELSE now() END,
                        blocked_reason = $2, updated_at = now() WHERE id = $1`,
      [id, reason],
    );
  }

  /** Removes an account's TOTP and recovery codes (an admin's reset: the member enrols again). */
  async resetTotp(id: string, db: EntityManager): Promise<void> {
    await db.query(
      `UPDATE users SET totp_secret = NULL, totp_enabled_at = NULL, totp_last_step = NULL, updated_at = now()
        WHERE id = $1`,
      [id],
    );
    await db.query(`DELETE FROM mfa_recovery_codes WHERE user_id = $1`, [id]);
  }

  /** A one-time link token for `purpose`, valid for `ttlH` hours; the token itself is shown once. */
  async createOneTimeToken(userId: string, ttlH: number, db: DataSource | EntityManager = this.db) {
    const token = randomBytes(32).toString('base64url');
    const [row] = await queryRows<{ expires_at: Date }>(
      db,
      `INSERT INTO one_time_tokens (token_hash, user_id, purpose, expires_at)
       VALUES ($1, $2, 'set_password', now() + make_interval(hours => $3)) RETURNING expires_at`,
      [tokenHash(token), userId, ttlH],
    );
    return { token, expiresAt: row.expires_at };
  }

  /** Uses up a one-time token: the user it was for, or undefined when unknown, used or expired. */
  async redeemOneTimeToken(token: string, db: EntityManager): Promise<string | undefined> {
    const [row] = await queryRows<{ user_id: string }>(
      db,
      `UPDATE one_time_tokens SET used_at = now()
        WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now() RETURNING user_id`,
      [tokenHash(token)],
    );
    return row?.user_id;
  }

  /**
   * Erases an account's personal data (CONTRACT.md 5, DELETE /me): email, name, password, second
   * factor and sessions' addresses go; the row stays, anonymised, so trips and their prices (which
   * the law makes the operator keep) still add up, and point at nobody.
   */
  async anonymise(id: string, db: EntityManager): Promise<void> {
    await db.query(
      `UPDATE users SET email = 'deleted-' || id || '@deleted.invalid', name = '', password_hash = NULL,
                        totp_secret = NULL, totp_enabled_at = NULL, totp_last_step = NULL,
                        blocked_reason = NULL, deleted_at = now(), updated_at = now()
        WHERE id = $1`,
      [id],
    );
    await db.query(`DELETE FROM mfa_recovery_codes WHERE user_id = $1`, [id]);
    await db.query(`DELETE FROM one_time_tokens WHERE user_id = $1`, [id]);
    await db.query(`UPDATE sessions SET ip = NULL, user_agent = NULL WHERE user_id = $1`, [id]);
    await db.query(`DELETE FROM idempotency_keys WHERE user_id = $1`, [id]);
  }
}
