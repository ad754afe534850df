import { queryRows } from '@fleet/domain';
import { DataSource } from 'typeorm';
import type { Caller } from './access-token';

/** Why a signed, unexpired token no longer gives access; null when it still does. */
export type SessionRefusal = 'SESSION_REVOKED' | 'ACCOUNT_BLOCKED' | 'ROLE_CHANGED';

/** How long a verdict on a session is reused before the database is asked again, in ms. */
export const SESSION_CHECK_TTL_MS = 20_000;

interface SessionRow {
  id: string;
  user_id: string;
  live: boolean;
  role: string;
  blocked: boolean;
}

/**
 * Whether the session of a verified access token still holds: not ended (logout, refresh-token
 * reuse, block, role change, deletion) or expired, its account neither blocked nor deleted, and the
 * token's role still the account's. Every service asks it for every token, so that access ends
 * within SESSION_CHECK_TTL_MS plus the time to the next request (CONTRACT.md 5: 60 s) without a
 * database read per request: each verdict is reused for SESSION_CHECK_TTL_MS.
 */
export class SessionCheck {
  /** By session id; a verdict holds for the account and role it was made for. */
  private readonly verdicts = new Map<
    string,
    { at: number; userId: string; role: string; verdict: Promise<SessionRefusal | null> }
  >();

  constructor(
    private readonly db: DataSource,
    private readonly ttlMs = SESSION_CHECK_TTL_MS,
  ) {}

  /** The refusal for this caller's session, or null when it holds. */
  check(caller: Caller, now = Date.now()): Promise<SessionRefusal | null> {
    const cached = this.verdicts.get(caller.sessionId);
    if (
      cached &&
      now - cached.at < this.ttlMs &&
      cached.userId === caller.id &&
      cached.role === caller.role
    ) {
      return cached.verdict;
    }
    if (this.verdicts.size > 100_000) this.prune(now);
    const verdict = this.checkMany([caller]).then((v) => v.get(caller.sessionId)!);
    const entry = { at: now, userId: caller.id, role: caller.role, verdict };
    // A failed read is not remembered: the next request asks again.
    verdict.catch(
      () => this.verdicts.get(caller.sessionId) === entry && this.verdicts.delete(caller.sessionId),
    );
    this.verdicts.set(caller.sessionId, entry);
    return verdict;
  }

  /** The verdicts on many callers' sessions in one read (the live map's sweep of its sockets). */
  async checkMany(callers: readonly Caller[]): Promise<Map<string, SessionRefusal | null>> {
    const rows = await queryRows<SessionRow>(
      this.db,
      `SELECT s.id, s.user_id, s.ended_at IS NULL AND s.expires_at > now() AS live, u.role,
              (u.blocked_at IS NOT NULL) AS blocked
         FROM sessions s JOIN users u ON u.id = s.user_id AND u.deleted_at IS NULL
        WHERE s.id = ANY($1::uuid[])`,
      [callers.map((c) => c.sessionId).filter(isUuid)],
    );
    const byId = new Map(rows.map((r) => [r.id, r]));
    return new Map(
      callers.map((caller) => {
        const row = byId.get(caller.sessionId);
        let verdict: SessionRefusal | null = null;
        if (!row || !row.live || row.user_id !== caller.id) verdict = 'SESSION_REVOKED';
        else if (row.blocked) verdict = 'ACCOUNT_BLOCKED';
        else if (row.role !== caller.role) verdict = 'ROLE_CHANGED';
        return [caller.sessionId, verdict];
      }),
    );
  }

  /** Forgets a session's verdict, so this process's next request reads it again (after logout). */
  forget(sessionId: string): void {
    this.verdicts.delete(sessionId);
  }

  private prune(now: number): void {
    for (const [key, entry] of this.verdicts) if (now - entry.at >= this.ttlMs) this.verdicts.delete(key);
  }
}

/** Whether `s` is a UUID in its text form (ids of accounts and sessions). */
export const isUuid = (s: string) =>
  /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s);

/** What each refusal tells the client (the message of the 401, or the socket's disconnect reason). */
export const SESSION_REFUSAL_MESSAGES: Record<SessionRefusal, string> = {
  SESSION_REVOKED: 'the session has ended: log in again',
  ACCOUNT_BLOCKED: 'the account is blocked',
  ROLE_CHANGED: "the account's role has changed: log in again",
};
