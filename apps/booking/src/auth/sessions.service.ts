import { AccessTokens, Role, SessionCheck } from '@fleet/auth';
import { queryRows } from '@fleet/domain';
import { Injectable } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { ApiError } from '../common/api-error';
import { BookingConfig } from '../config/booking.config';

/** What login and refresh answer (CONTRACT.md 5). */
export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  tokenType: 'Bearer';
  /** Seconds the access token lives. */
  expiresIn: number;
}

/** Why a session ended (the sessions table's end_reason). */
export type EndReason =
  'logout' | 'refresh_reuse' | 'blocked' | 'deleted' | 'password_changed' | 'role_changed' | 'revoked';

export interface SessionUser {
  id: string;
  email: string;
  role: Role;
}

/** Where a login came from, kept with the session (and shown in the account's export). */
export interface ClientInfo {
  ip?: string;
  userAgent?: string;
}

/** A refresh token's SHA-256: tokens are 256 random bits, so a fast hash is enough to store them. */
const digest = (token: string) => createHash('sha256').update(token).digest();

interface RefreshRow {
  session_id: string;
  used: boolean;
  live: boolean;
  amr: string[];
  user_id: string;
  email: string;
  role: Role;
  blocked: boolean;
}

/**
 * Sessions in the database: login opens one, each refresh rotates its refresh token (the old one
 * stops working, and showing a used one again ends the session: someone has a copy), logout ends
 * it. Access tokens carry the session id, and every service refuses them once the session ended
 * (SessionCheck).
 */
@Injectable()
export class SessionsService {
  constructor(
    private readonly db: DataSource,
    private readonly tokens: AccessTokens,
    private readonly check: SessionCheck,
    private readonly config: BookingConfig,
  ) {}

  async open(user: SessionUser, amr: string[], client: ClientInfo): Promise<TokenPair> {
    return this.db.transaction(async (m) => {
      const [session] = await queryRows<{ id: string }>(
        m,
        `INSERT INTO sessions (user_id, expires_at, amr, ip, user_agent)
         VALUES ($1, now() + make_interval(days => $2), $3, $4, $5) RETURNING id`,
        [
          user.id,
          this.config.SESSION_TTL_DAYS,
          amr,
          client.ip ?? null,
          client.userAgent?.slice(0, 300) ?? null,
        ],
      );
      return this.issue(m, session.id, user, amr);
    });
  }

  /** A new pair for a refresh token that is current; ends the session when it was used before. */
  async refresh(refreshToken: string): Promise<TokenPair> {
    const outcome = await this.db.transaction(async (m) => {
      const [row] = await queryRows<RefreshRow>(
        m,
        `SELECT t.session_id, t.used_at IS NOT NULL AS used, s.amr,
                s.ended_at IS NULL AND s.expires_at > now() AS live,
                u.id AS user_id, u.email, u.role, u.blocked_at IS NOT NULL OR u.deleted_at IS NOT NULL AS blocked
           FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id JOIN users u ON u.id = s.user_id
          WHERE t.token_hash = $1
          FOR UPDATE OF t, s`,
        [digest(refreshToken)],
      );
      if (!row) return new ApiError(401, 'INVALID_REFRESH_TOKEN', 'the refresh token is not valid');
      if (!row.live || row.blocked)
        return new ApiError(401, 'SESSION_REVOKED', 'the session has ended: log in again');
      if (row.used) {
        await this.endIn(m, row.session_id, 'refresh_reuse');
        return new ApiError(
          401,
          'SESSION_REVOKED',
          'this refresh token was used before: the session is ended',
        );
      }
      await m.query(`UPDATE refresh_tokens SET used_at = now() WHERE token_hash = $1`, [
        digest(refreshToken),
      ]);
      await m.query(`UPDATE sessions SET last_used_at = now() WHERE id = $1`, [row.session_id]);
      return this.issue(m, row.session_id, { id: row.user_id, email: row.email, role: row.role }, row.amr);
    });
    // The reuse verdict is committed before it is answered (a thrown error would roll it back).
    if (outcome instanceof ApiError) throw outcome;
    return outcome;
  }

  async end(sessionId: string, reason: EndReason): Promise<void> {
    await this.endIn(this.db.manager, sessionId, reason);
  }

  /** Ends every open session of a user (blocked, demoted, deleted, password changed), but `keep`. */
  async endAllOf(
    userId: string,
    reason: EndReason,
    db: EntityManager = this.db.manager,
    keep?: string,
  ): Promise<void> {
    const ended = await queryRows<{ id: string }>(
      db,
      `UPDATE sessions SET ended_at = now(), end_reason = $2
        WHERE user_id = $1 AND ended_at IS NULL AND id IS DISTINCT FROM $3::uuid RETURNING id`,
      [userId, reason, keep ?? null],
    );
    for (const { id } of ended) this.check.forget(id);
  }

  private async endIn(db: EntityManager, sessionId: string, reason: EndReason): Promise<void> {
    await db.query(
      `UPDATE sessions SET ended_at = now(), end_reason = $2 WHERE id = $1 AND ended_at IS NULL`,
      [sessionId, reason],
    );
    this.check.forget(sessionId);
  }

  private async issue(
    db: EntityManager,
    sessionId: string,
    user: SessionUser,
    amr: string[],
  ): Promise<TokenPair> {
    const refreshToken = `rt_${randomBytes(32).toString('base64url')}`;
    await db.query(`INSERT INTO refresh_tokens (token_hash, session_id) VALUES ($1, $2)`, [
      digest(refreshToken),
      sessionId,
    ]);
    const expiresIn = this.config.JWT_TTL_S;
    const accessToken = await this.tokens.sign(
      { sub: user.id, sid: sessionId, email: user.email, role: user.role, amr },
      expiresIn,
    );
    return { accessToken, refreshToken, tokenType: 'Bearer', expiresIn };
  }
}
