import { Caller, isUuid } from '@fleet/auth';
import { wellFormedText } from '@fleet/contracts';
import { queryRows } from '@fleet/domain';
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { badCursor } from '../common/paging';

/** One staff write, as `GET /audit` lists it. */
export interface AuditEntry {
  id: string;
  at: string;
  actor: { id: string | null; email: string | null; role: string | null };
  action: string;
  target: string | null;
  vehicleId: string | null;
  reason: string | null;
  ip: string | null;
  statusCode: number | null;
  detail: Record<string, unknown>;
}

/** What one write records. */
export interface AuditRecord {
  actor: Pick<Caller, 'id' | 'email' | 'role'> | { id: null; email: string; role: null };
  action: string;
  target?: string;
  vehicleId?: string;
  reason?: string;
  ip?: string;
  statusCode?: number;
  detail?: Record<string, unknown>;
}

export interface AuditQuery {
  actor?: string;
  vehicleId?: string;
  from?: Date;
  to?: Date;
  limit: number;
  cursor?: string;
}

interface AuditRow {
  id: string;
  at: Date;
  actor_id: string | null;
  actor_email: string | null;
  actor_role: string | null;
  action: string;
  target: string | null;
  vehicle_id: string | null;
  reason: string | null;
  ip: string | null;
  status_code: number | null;
  detail: Record<string, unknown>;
}

/**
 * `text` as PostgreSQL stores it: a NUL (refused by text and jsonb) or a lone surrogate (refused by
 * jsonb) as U+FFFD. A refused request is recorded with what it sent, and that may be such text.
 */
const storable = (text: string) => wellFormedText(text.replaceAll('\u0000', '\ufffd'));

/** `detail` as jsonb text, every key and string value storable. */
const storableDetail = (detail: Record<string, unknown>) =>
  JSON.stringify(detail, (_key, value: unknown) => {
    if (typeof value === 'string') return storable(value);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [storable(k), v]));
  });

const storableOrNull = (text: string | undefined) => (text === undefined ? null : storable(text));

/**
 * The audit log: every staff write (who, what, on which car, why, from where, with what outcome),
 * append-only in PostgreSQL (a trigger refuses changes and deletions outside the retention job).
 */
@Injectable()
export class AuditService {
  constructor(private readonly db: DataSource) {}

  async record(entry: AuditRecord): Promise<void> {
    await this.db.query(
      `INSERT INTO audit_log (actor_id, actor_email, actor_role, action, target, vehicle_id, reason, ip, status_code, detail)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [
        entry.actor.id,
        entry.actor.email,
        entry.actor.role,
        storable(entry.action),
        storableOrNull(entry.target),
        storableOrNull(entry.vehicleId),
        storableOrNull(entry.reason),
        storableOrNull(entry.ip),
        entry.statusCode ?? null,
        storableDetail(entry.detail ?? {}),
      ],
    );
  }

  /** Newest first; `actor` is an account id or an email address. */
  async list(query: AuditQuery): Promise<{ items: AuditEntry[]; nextCursor: string | null }> {
    if (query.cursor !== undefined && !/^\d{1,19}$/.test(query.cursor)) {
      throw badCursor();
    }
    const actorIsId = query.actor !== undefined && isUuid(query.actor);
    const rows = await queryRows<AuditRow>(
      this.db,
      `SELECT id::text, at, actor_id, actor_email, actor_role, action, target, vehicle_id, reason, ip,
              status_code, detail
         FROM audit_log
        WHERE ($1::uuid IS NULL OR actor_id = $1::uuid)
          AND ($2::text IS NULL OR actor_email = lower($2))
          AND ($3::text IS NULL OR vehicle_id = $3)
          AND ($4::timestamptz IS NULL OR at >= $4)
          AND ($5::timestamptz IS NULL OR at < $5)
          AND ($6::bigint IS NULL OR id < $6::bigint)
        ORDER BY audit_log.id DESC LIMIT $7`,
      [
        actorIsId ? query.actor : null,
        query.actor !== undefined && !actorIsId ? query.actor : null,
        query.vehicleId ?? null,
        query.from ?? null,
        query.to ?? null,
        query.cursor ?? null,
        query.limit + 1,
      ],
    );
    const items = rows.slice(0, query.limit).map((r): AuditEntry => ({
      id: r.id,
      at: r.at.toISOString(),
      actor: { id: r.actor_id, email: r.actor_email, role: r.actor_role },
      action: r.action,
      target: r.target,
      vehicleId: r.vehicle_id,
      reason: r.reason,
      ip: r.ip,
      statusCode: r.status_code,
      detail: r.detail,
    }));
    return { items, nextCursor: rows.length > query.limit ? items[items.length - 1].id : null };
  }
}
