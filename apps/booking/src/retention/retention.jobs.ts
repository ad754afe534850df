import { RetentionJob } from '@fleet/domain';
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { RetentionSettings } from './retention.settings';

/**
 * Stored Idempotency-Key answers, IDEMPOTENCY_KEY_RETENTION_H after the first request. Nothing
 * references them; a retry after that runs as a new request.
 */
@Injectable()
export class IdempotencyKeyRetention extends RetentionJob {
  constructor(dataSource: DataSource, settings: RetentionSettings) {
    super(
      dataSource,
      { table: 'idempotency_keys', expired: 'created_at < $1', oldestFirst: 'created_at' },
      settings.idempotencyKeysMs,
    );
  }
}

/**
 * Sessions, SESSION_RETENTION_DAYS after they ended or expired (the expression of their index);
 * their refresh tokens go with them (ON DELETE CASCADE). A live session is never past its expiry,
 * so it always stays.
 */
@Injectable()
export class SessionRetention extends RetentionJob {
  constructor(dataSource: DataSource, settings: RetentionSettings) {
    const endedOrExpired = 'coalesce(ended_at, expires_at)';
    super(
      dataSource,
      { table: 'sessions', expired: `${endedOrExpired} < $1`, oldestFirst: endedOrExpired },
      settings.sessionsMs,
    );
  }
}

/**
 * One-time links, ONE_TIME_TOKEN_RETENTION_DAYS after they were used or expired (a link is used
 * before its expiry or never). The table is small and has no time index.
 */
@Injectable()
export class OneTimeTokenRetention extends RetentionJob {
  constructor(dataSource: DataSource, settings: RetentionSettings) {
    const usedOrExpired = 'coalesce(used_at, expires_at)';
    super(
      dataSource,
      { table: 'one_time_tokens', expired: `${usedOrExpired} < $1`, oldestFirst: usedOrExpired },
      settings.oneTimeTokensMs,
    );
  }
}

/**
 * Audit log entries, AUDIT_RETENTION_DAYS after they were written (0 by default: kept forever). The
 * log's trigger refuses any DELETE unless its transaction says it is the purge, so each batch is a
 * transaction of its own that does, and the permission never outlives the batch.
 */
@Injectable()
export class AuditRetention extends RetentionJob {
  constructor(dataSource: DataSource, settings: RetentionSettings) {
    super(
      dataSource,
      {
        table: 'audit_log',
        expired: 'at < $1',
        oldestFirst: 'at',
        setup: [`SET LOCAL fleet.audit_purge = 'on'`],
      },
      settings.auditLogMs,
    );
  }
}
