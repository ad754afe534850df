import { queryRows } from '@fleet/domain';
import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';

/** What the platform holds about one person, table by table (GET /me/export). */
@Injectable()
export class MeRepository {
  constructor(private readonly db: DataSource) {}

  async export(userId: string) {
    const q = (sql: string) => queryRows<Record<string, unknown>>(this.db, sql, [userId]);
    const [account] = await q(
      `SELECT id, email, name, role, created_at AS "createdAt", updated_at AS "updatedAt",
              blocked_at AS "blockedAt", blocked_reason AS "blockedReason",
              totp_enabled_at AS "totpEnabledAt" FROM users WHERE id = $1`,
    );
    const [sessions, reservations, trips, idempotencyKeys, auditEntries] = await Promise.all([
      q(`SELECT id, created_at AS "createdAt", last_used_at AS "lastUsedAt", expires_at AS "expiresAt",
                ended_at AS "endedAt", end_reason AS "endReason", ip, user_agent AS "userAgent"
           FROM sessions WHERE user_id = $1 ORDER BY created_at`),
      q(`SELECT id, vehicle_id AS "vehicleId", status, created_at AS "createdAt", expires_at AS "expiresAt",
                ended_at AS "endedAt" FROM reservations WHERE driver_id = $1 ORDER BY created_at`),
      q(`SELECT id, vehicle_id AS "vehicleId", reservation_id AS "reservationId", status,
                started_at AS "startedAt", ended_at AS "endedAt", distance_m AS "distanceM", price
           FROM trips WHERE driver_id = $1 ORDER BY started_at`),
      q(`SELECT key, status_code AS "statusCode", response, created_at AS "createdAt"
           FROM idempotency_keys WHERE user_id = $1 ORDER BY created_at`),
      q(`SELECT at, action, target, vehicle_id AS "vehicleId", reason, ip, status_code AS "statusCode"
           FROM audit_log WHERE actor_id = $1 ORDER BY at`),
    ]);
    return { account, sessions, reservations, trips, idempotencyKeys, auditEntries };
  }

  /** Whether the driver holds an active reservation or an open trip. */
  async hasActiveBooking(userId: string, db: EntityManager): Promise<boolean> {
    const [row] = await queryRows<{ busy: boolean }>(
      db,
      `SELECT EXISTS (SELECT 1 FROM reservations WHERE driver_id = $1 AND status = 'active')
           OR EXISTS (SELECT 1 FROM trips WHERE driver_id = $1 AND status IN ('active', 'parked')) AS busy`,
      [userId],
    );
    return row.busy;
  }
}
