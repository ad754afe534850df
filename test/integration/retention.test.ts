import { loadConfig } from '@fleet/config';
import { createDataSource, DatabaseModule, deleteExpiredRows } from '@fleet/domain';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { createTestDatabase, insertVehicles, TestDatabase, waitFor } from '@fleet/testing';
import { randomBytes, randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { BookingConfig } from '../../apps/booking/src/config/booking.config';
import {
  AuditRetention,
  IdempotencyKeyRetention,
  OneTimeTokenRetention,
  SessionRetention,
} from '../../apps/booking/src/retention/retention.jobs';
import { BookingRetention } from '../../apps/booking/src/retention/booking-retention';
import { RetentionModule } from '../../apps/booking/src/retention/retention.module';
import { RetentionSettings } from '../../apps/booking/src/retention/retention.settings';
import { GatewayConfig } from '../../apps/telemetry-gateway/src/config/gateway.config';
import {
  CommandsRetention,
  EventsRetention,
  GatewayRetention,
  QuarantineRetention,
} from '../../apps/telemetry-gateway/src/maintenance/retention';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/**
 * The retention jobs of the gateway and of booking against the real PostgreSQL: each called as its
 * schedule calls it, `run(now)`, on old and new rows of its table.
 */
describe('retention jobs', () => {
  let db: TestDatabase;
  let ds: DataSource;
  const now = new Date();
  const ago = (ms: number) => new Date(now.getTime() - ms);
  const gateway = loadConfig(GatewayConfig, {});
  const booking = (env: NodeJS.ProcessEnv = {}) => RetentionSettings.of(loadConfig(BookingConfig, env));
  let driverId: string;
  let adminId: string;

  const count = async (sql: string, params: unknown[] = []) =>
    Number((await db.client.query<{ n: string }>(`SELECT count(*) AS n FROM ${sql}`, params)).rows[0].n);
  const ids = async (sql: string) =>
    (await db.client.query<{ id: string }>(sql)).rows.map((r) => String(r.id)).sort();

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = await createDataSource({ url: db.url, poolSize: 4, applicationName: 'retention-test' }).initialize();
    await insertVehicles(db.client, ['B-RT-0001', 'B-RT-0002']);
    const users = await db.client.query<{ id: string; role: string }>(
      `INSERT INTO users (email, name, role, password_hash) VALUES
         ('lena.hoffmann@example.de', 'Lena Hoffmann', 'driver', 'scrypt$15$8$1$c2FsdHNhbHRzYWx0c2FsdA==$a2V5'),
         ('admin@fleet.local', 'Fleet Admin', 'admin', 'scrypt$15$8$1$c2FsdHNhbHRzYWx0c2FsdA==$a2V5')
       RETURNING id, role`,
    );
    driverId = users.rows.find((u) => u.role === 'driver')!.id;
    adminId = users.rows.find((u) => u.role === 'admin')!.id;
  });
  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  describe('telemetry gateway', () => {
    async function quarantine(label: string, receivedAt: Date): Promise<void> {
      const payload = Buffer.from(
        JSON.stringify({ ts: receivedAt.toISOString(), lat: 52.52, lon: 13.405, speedKmh: -4, locked: true }),
      );
      await db.client.query(
        `INSERT INTO telemetry_quarantine (received_at, topic, vehicle_id, reason, details, payload, payload_bytes)
         VALUES ($1, 'fleet/v1/vehicles/B-RT-0001/telemetry', 'B-RT-0001', 'SCHEMA_VIOLATION', $2, $3, $4)`,
        [receivedAt, `speedKmh must not be less than 0 (${label})`, payload, payload.length],
      );
    }

    it('quarantine: messages received more than 30 days ago go, newer ones stay; a second run deletes nothing', async () => {
      await quarantine('45 days', ago(45 * DAY_MS));
      await quarantine('31 days', ago(31 * DAY_MS));
      await quarantine('29 days', ago(29 * DAY_MS));
      await quarantine('1 hour', ago(HOUR_MS));
      const job = new QuarantineRetention(ds, gateway);

      expect(await job.run(now)).toBe(2);
      const kept = await db.client.query<{ details: string }>(
        `SELECT details FROM telemetry_quarantine ORDER BY received_at`,
      );
      expect(kept.rows.map((r) => r.details)).toEqual([
        'speedKmh must not be less than 0 (29 days)',
        'speedKmh must not be less than 0 (1 hour)',
      ]);
      expect(await job.run(now)).toBe(0);
      expect(await count('telemetry_quarantine')).toBe(2);
    });

    it('QUARANTINE_RETENTION_DAYS=0 keeps every message', async () => {
      await quarantine('3 years', ago(3 * 365 * DAY_MS));
      const forever = new QuarantineRetention(
        ds,
        loadConfig(GatewayConfig, { QUARANTINE_RETENTION_DAYS: '0' }),
      );
      expect(await forever.run(now)).toBe(0);
      expect(await count(`telemetry_quarantine WHERE details LIKE '%3 years%'`)).toBe(1);
      expect(await new QuarantineRetention(ds, gateway).run(now)).toBe(1);
    });

    it('vehicle events: 12,000 events older than 400 days go in batches, younger ones stay', async () => {
      // A car's history as the gateway and booking write it, one event every 10 minutes from 500
      // days back: 12,000 of them before the cut-off.
      await db.client.query(
        `INSERT INTO vehicle_events (vehicle_id, event_type, state_from, state_to, occurred_at)
         SELECT 'B-RT-0001', (ARRAY['trip_start', 'trip_end'])[1 + g % 2],
                (ARRAY['reserved', 'on_trip'])[1 + g % 2], (ARRAY['on_trip', 'available'])[1 + g % 2],
                $1::timestamptz - interval '500 days' + g * interval '10 minutes'
           FROM generate_series(0, 11999) AS g`,
        [now],
      );
      await db.client.query(
        `INSERT INTO vehicle_events (vehicle_id, event_type, state_from, state_to, occurred_at, details)
         VALUES ('B-RT-0002', 'comms_lost', 'available', 'non_contactable', $1, '{"silenceS": 2700}'),
                ('B-RT-0002', 'comms_restored', 'non_contactable', 'available', $2, NULL)`,
        [ago(399 * DAY_MS), ago(HOUR_MS)],
      );
      const job = new EventsRetention(ds, gateway);

      expect(await job.run(now)).toBe(12_000);
      expect(await count('vehicle_events')).toBe(2);
      expect(await count(`vehicle_events WHERE occurred_at < $1`, [ago(400 * DAY_MS)])).toBe(0);
      expect(await job.run(now)).toBe(0);
    });

    it('commands: finished ones older than 90 days go; an old command still pending and newer ones stay', async () => {
      const command = async (type: string, status: string, issuedAt: Date) => {
        const id = randomUUID();
        const expiresAt = new Date(issuedAt.getTime() + 30_000);
        const done = !['queued', 'sent'].includes(status);
        await db.client.query(
          `INSERT INTO vehicle_commands (id, vehicle_id, type, status, reason, requested_by, issued_at, expires_at,
                                         sent_at, completed_at, counter)
           VALUES ($1, 'B-RT-0001', $2, $3, $4, $5, $6, $7, $8, $9, 1)`,
          [
            id,
            type,
            status,
            status === 'expired' ? 'no result before expiry' : null,
            driverId,
            issuedAt,
            expiresAt,
            status === 'queued' ? null : new Date(issuedAt.getTime() + 200),
            done ? new Date(issuedAt.getTime() + 1_500) : null,
          ],
        );
        return id;
      };
      await command('unlock', 'succeeded', ago(120 * DAY_MS));
      await command('lock', 'expired', ago(95 * DAY_MS));
      await command('immobilize', 'rejected', ago(91 * DAY_MS));
      const pendingQueued = await command('honk', 'queued', ago(100 * DAY_MS));
      const pendingSent = await command('locate', 'sent', ago(100 * DAY_MS));
      const recent = await command('unlock', 'succeeded', ago(89 * DAY_MS));
      const job = new CommandsRetention(ds, gateway);

      expect(await job.run(now)).toBe(3);
      expect(await ids(`SELECT id FROM vehicle_commands`)).toEqual(
        [pendingQueued, pendingSent, recent].sort(),
      );
      expect(await job.run(now)).toBe(0);
    });
  });

  describe('booking', () => {
    it('idempotency keys: answers stored more than 24 hours ago go, younger ones stay', async () => {
      const key = (k: string, createdAt: Date) =>
        db.client.query(
          `INSERT INTO idempotency_keys (user_id, key, request_hash, status_code, response, created_at)
           VALUES ($1, $2, $3, 201, $4, $5)`,
          [
            driverId,
            k,
            randomBytes(32).toString('hex'),
            { id: randomUUID(), vehicleId: 'B-RT-0001', status: 'active' },
            createdAt,
          ],
        );
      await key('3f1c2a9e-reserve-1', ago(3 * DAY_MS));
      await key('3f1c2a9e-reserve-2', ago(25 * HOUR_MS));
      await key('3f1c2a9e-reserve-3', ago(23 * HOUR_MS));
      await key('3f1c2a9e-reserve-4', ago(60_000));
      const job = new IdempotencyKeyRetention(ds, booking());

      expect(await job.run(now)).toBe(2);
      const kept = await db.client.query<{ key: string }>(`SELECT key FROM idempotency_keys ORDER BY key`);
      expect(kept.rows.map((r) => r.key)).toEqual(['3f1c2a9e-reserve-3', '3f1c2a9e-reserve-4']);
      expect(await job.run(now)).toBe(0);
    });

    it('sessions: ended or expired more than 30 days ago go with their refresh tokens; the rest stay', async () => {
      const session = async (createdAt: Date, expiresAt: Date, ended?: { at: Date; reason: string }) => {
        const {
          rows: [{ id }],
        } = await db.client.query<{ id: string }>(
          `INSERT INTO sessions (user_id, created_at, last_used_at, expires_at, ended_at, end_reason, ip, user_agent)
           VALUES ($1, $2, $2, $3, $4, $5, '203.0.113.24', 'Fleet/3.2 (iPhone; iOS 17.4)') RETURNING id`,
          [driverId, createdAt, expiresAt, ended?.at ?? null, ended?.reason ?? null],
        );
        await db.client.query(
          `INSERT INTO refresh_tokens (token_hash, session_id, issued_at, used_at) VALUES ($1, $3, $2, $2), ($4, $3, $2, NULL)`,
          [randomBytes(32), createdAt, id, randomBytes(32)],
        );
        return id;
      };
      const loggedOut = await session(ago(40 * DAY_MS), ago(10 * DAY_MS), {
        at: ago(31 * DAY_MS),
        reason: 'logout',
      });
      const expired = await session(ago(62 * DAY_MS), ago(32 * DAY_MS));
      const reused = await session(ago(35 * DAY_MS), ago(5 * DAY_MS), {
        at: ago(29 * DAY_MS),
        reason: 'refresh_reuse',
      });
      const expiredLately = await session(ago(50 * DAY_MS), ago(20 * DAY_MS));
      const live = await session(ago(2 * DAY_MS), new Date(now.getTime() + 28 * DAY_MS));
      const job = new SessionRetention(ds, booking());

      expect(await job.run(now)).toBe(2);
      expect(await ids(`SELECT id FROM sessions`)).toEqual([reused, expiredLately, live].sort());
      expect(await count(`refresh_tokens WHERE session_id = ANY($1)`, [[loggedOut, expired]])).toBe(0);
      expect(await count(`refresh_tokens`)).toBe(6);
      expect(await job.run(now)).toBe(0);
    });

    it('one-time links: used or expired more than 7 days ago go; the rest stay', async () => {
      const link = async (createdAt: Date, expiresAt: Date, usedAt: Date | null) => {
        const hash = randomBytes(32);
        await db.client.query(
          `INSERT INTO one_time_tokens (token_hash, user_id, purpose, created_at, expires_at, used_at)
           VALUES ($1, $2, 'set_password', $3, $4, $5)`,
          [hash, adminId, createdAt, expiresAt, usedAt],
        );
        return hash.toString('hex');
      };
      await link(ago(10 * DAY_MS), ago(7 * DAY_MS + HOUR_MS), ago(9 * DAY_MS)); // used 9 days ago
      await link(ago(11 * DAY_MS), ago(8 * DAY_MS), null); // expired unused 8 days ago
      const usedLately = await link(ago(8 * DAY_MS), ago(5 * DAY_MS), ago(6 * DAY_MS));
      const expiredLately = await link(ago(9 * DAY_MS), ago(6 * DAY_MS), null);
      const open = await link(ago(HOUR_MS), new Date(now.getTime() + 2 * DAY_MS), null);
      const job = new OneTimeTokenRetention(ds, booking());

      expect(await job.run(now)).toBe(2);
      expect(await ids(`SELECT encode(token_hash, 'hex') AS id FROM one_time_tokens`)).toEqual(
        [usedLately, expiredLately, open].sort(),
      );
      expect(await job.run(now)).toBe(0);
    });

    describe('audit log', () => {
      beforeAll(async () => {
        const entry = (at: Date, action: string, vehicleId: string | null, reason: string | null) =>
          db.client.query(
            `INSERT INTO audit_log (at, actor_id, actor_email, actor_role, action, target, vehicle_id, reason, ip,
                                    status_code, detail)
             VALUES ($1, $2, 'admin@fleet.local', 'admin', $3, $4, $4, $5, '198.51.100.7', 201, $6)`,
            [at, adminId, action, vehicleId, reason, { path: `/api/v1/vehicles/${vehicleId}/commands` }],
          );
        await entry(ago(3 * 365 * DAY_MS), 'vehicle.command.unlock', 'B-RT-0001', 'customer locked out');
        await entry(ago(400 * DAY_MS), 'vehicle.command.immobilize', 'B-RT-0002', 'reported stolen');
        await entry(ago(300 * DAY_MS), 'vehicle.command.unlock', 'B-RT-0001', 'towing service');
        await entry(ago(HOUR_MS), 'vehicle.command.lock', 'B-RT-0002', 'left open');
      });

      it('refuses a plain DELETE', async () => {
        await expect(
          db.client.query(`DELETE FROM audit_log WHERE at < now() - interval '1 year'`),
        ).rejects.toThrow(/append-only/);
        await expect(ds.query(`DELETE FROM audit_log`)).rejects.toThrow(/append-only/);
        expect(await count('audit_log')).toBe(4);
      });

      it('is kept forever by default (AUDIT_RETENTION_DAYS=0)', async () => {
        expect(await new AuditRetention(ds, booking()).run(now)).toBe(0);
        expect(await count('audit_log')).toBe(4);
      });

      it('with AUDIT_RETENTION_DAYS=365 the job purges older entries, and the log is append-only again after', async () => {
        // One connection, so the DELETE after the purge runs where the purge ran.
        const single = await createDataSource({ url: db.url, poolSize: 1 }).initialize();
        try {
          const job = new AuditRetention(single, booking({ AUDIT_RETENTION_DAYS: '365' }));
          expect(await job.run(now)).toBe(2);
          const kept = await db.client.query<{ reason: string }>(`SELECT reason FROM audit_log ORDER BY at`);
          expect(kept.rows.map((r) => r.reason)).toEqual(['towing service', 'left open']);
          await expect(single.query(`DELETE FROM audit_log`)).rejects.toThrow(/append-only/);
          expect(await job.run(now)).toBe(0);
          expect(await count('audit_log')).toBe(2);
        } finally {
          await single.destroy();
        }
      });
    });
  });

  describe('several processes', () => {
    async function oldQuarantine(n: number): Promise<void> {
      await db.client.query(
        `INSERT INTO telemetry_quarantine (received_at, topic, vehicle_id, reason, details, payload, payload_bytes)
         SELECT $1::timestamptz - g * interval '1 minute', 'fleet/v1/vehicles/B-RT-0002/telemetry', 'B-RT-0002',
                'MALFORMED_JSON', 'Unexpected end of JSON input', convert_to('{"ts":"2024-', 'UTF8'), 12
           FROM generate_series(1, $2::int) AS g`,
        [ago(60 * DAY_MS), n],
      );
    }
    const oldLeft = () => count(`telemetry_quarantine WHERE received_at < $1`, [ago(30 * DAY_MS)]);

    it('a run skips while another process holds its job lock, and does the work once it is free', async () => {
      await oldQuarantine(10);
      const job = new QuarantineRetention(ds, gateway);
      await db.client.query(`SELECT pg_advisory_lock(hashtext($1))`, [job.lockKey]);
      try {
        expect(await job.run(now)).toBeNull();
        expect(await oldLeft()).toBe(10);
      } finally {
        await db.client.query(`SELECT pg_advisory_unlock(hashtext($1))`, [job.lockKey]);
      }
      expect(await job.run(now)).toBe(10);
    });

    it('of two runs at once, one does the work and the other skips', async () => {
      await oldQuarantine(7_000);
      // Two processes: each its own pool.
      const other = await createDataSource({ url: db.url, poolSize: 2 }).initialize();
      try {
        const first = new QuarantineRetention(ds, gateway);
        const second = new QuarantineRetention(other, gateway);
        // Hold one old row, so the first run stops inside its delete, holding the job lock.
        await db.client.query('BEGIN');
        await db.client.query(
          `SELECT id FROM telemetry_quarantine WHERE vehicle_id = 'B-RT-0002' ORDER BY received_at LIMIT 1 FOR UPDATE`,
        );
        const firstRun = first.run(now);
        await waitFor(
          async () =>
            (await count(
              `pg_locks WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid()
                 AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
            )) === 1,
          10_000,
          'the first run holds its lock',
        );
        expect(await second.run(now)).toBeNull();
        await db.client.query('COMMIT');
        expect(await firstRun).toBe(7_000);
        expect(await oldLeft()).toBe(0);
        expect(await second.run(now)).toBe(0);
      } finally {
        await db.client.query('ROLLBACK').catch(() => undefined);
        await other.destroy();
      }
    });
  });

  describe('Nest wiring', () => {
    it('RetentionModule.register gives booking its four jobs, each kept as its config says', async () => {
      const config = loadConfig(BookingConfig, { DATABASE_URL: db.url, AUDIT_RETENTION_DAYS: '730' });
      const app = await NestFactory.createApplicationContext(
        {
          module: class BookingRetentionHost {},
          imports: [DatabaseModule.forRoot({ url: db.url, poolSize: 2 }), RetentionModule.register(config)],
        },
        { logger: false },
      );
      await app.init();
      try {
        expect(app.get(BookingRetention)).toBeInstanceOf(BookingRetention);
        expect(app.get(AuditRetention).keepMs).toBe(730 * DAY_MS);
        expect(app.get(IdempotencyKeyRetention).keepMs).toBe(24 * HOUR_MS);
        expect(app.get(SessionRetention).table).toBe('sessions');
        expect(app.get(OneTimeTokenRetention).table).toBe('one_time_tokens');
      } finally {
        await app.close();
      }
    });

    it('the gateway provides its retention schedule with its config and the DataSource', async () => {
      const config = loadConfig(GatewayConfig, { DATABASE_URL: db.url });
      @Module({ providers: [{ provide: GatewayConfig, useValue: config }, GatewayRetention] })
      class GatewayRetentionHost {}
      const app = await NestFactory.createApplicationContext(
        { module: GatewayRetentionHost, imports: [DatabaseModule.forRoot({ url: db.url, poolSize: 2 })] },
        { logger: false },
      );
      await app.init();
      try {
        expect(app.get(GatewayRetention)).toBeInstanceOf(GatewayRetention);
      } finally {
        await app.close();
      }
    });
  });

  describe('batched delete', () => {
    it('deleteExpiredRows deletes in batches until one comes up short, and stops early when told to', async () => {
      await db.client.query(
        `INSERT INTO vehicle_events (vehicle_id, event_type, state_from, state_to, occurred_at)
       SELECT 'B-RT-0002', 'service_start', 'non_operational', 'available', $1::timestamptz - g * interval '1 hour'
         FROM generate_series(1, 250) AS g`,
        [ago(500 * DAY_MS)],
      );
      const rule = new EventsRetention(ds, gateway).rule;
      const cutoff = ago(400 * DAY_MS);
      expect(await deleteExpiredRows(ds, rule, cutoff, { batchRows: 100 })).toBe(250);
      expect(await deleteExpiredRows(ds, rule, cutoff, { batchRows: 100 })).toBe(0);
      const aborted = AbortSignal.abort();
      await db.client.query(
        `INSERT INTO vehicle_events (vehicle_id, event_type, state_from, state_to, occurred_at)
       SELECT 'B-RT-0002', 'service_end', 'available', 'non_operational', $1::timestamptz - g * interval '1 hour'
         FROM generate_series(1, 250) AS g`,
        [ago(500 * DAY_MS)],
      );
      // Stopping (a shutdown) ends the loop after the batch under way.
      expect(await deleteExpiredRows(ds, rule, cutoff, { batchRows: 100, signal: aborted })).toBe(100);
      expect(await count(`vehicle_events WHERE occurred_at < $1`, [cutoff])).toBe(150);
    });
  });
});
