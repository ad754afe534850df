import { queryRows } from '@fleet/domain';
import { CommandResultStatus, CommandStatus, CommandType } from '@fleet/contracts';
import { CommandView } from '@fleet/messaging';
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

interface CommandRow {
  id: string;
  vehicle_id: string;
  type: CommandType;
  status: CommandStatus;
  reason: string | null;
  requested_by: string | null;
  issued_at: Date;
  expires_at: Date;
  sent_at: Date | null;
  completed_at: Date | null;
  counter: string | null;
}

const toView = (r: CommandRow): CommandView => ({
  id: r.id,
  vehicleId: r.vehicle_id,
  type: r.type,
  status: r.status,
  reason: r.reason,
  requestedBy: r.requested_by,
  issuedAt: r.issued_at.toISOString(),
  expiresAt: r.expires_at.toISOString(),
  sentAt: r.sent_at?.toISOString() ?? null,
  completedAt: r.completed_at?.toISOString() ?? null,
});

const OPEN = `status IN ('queued', 'sent')`;

/** The command lifecycle table: every change conditional on the command still being open. */
@Injectable()
export class CommandsRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** The latest speed of a registered vehicle; undefined when no such vehicle exists. */
  async vehicleSpeed(vehicleId: string): Promise<{ speedKmh: number | null } | undefined> {
    const rows = await queryRows<{ speed_kmh: number | null }>(
      this.dataSource,
      `SELECT s.speed_kmh FROM vehicles v JOIN vehicle_state s ON s.vehicle_id = v.id WHERE v.id = $1`,
      [vehicleId],
    );
    return rows[0] ? { speedKmh: rows[0].speed_kmh } : undefined;
  }

  async insert(command: {
    id: string;
    vehicleId: string;
    type: CommandType;
    status: CommandStatus;
    reason?: string;
    requestedBy?: string;
    issuedAt: Date;
    expiresAt: Date;
  }): Promise<{ command: CommandView; counter: number | null }> {
    const final = command.status !== 'queued';
    // A command that goes to the car takes its car's next counter in the same statement.
    const [row] = await queryRows<CommandRow>(
      this.dataSource,
      `WITH next AS (
         UPDATE vehicles SET command_counter = command_counter + 1
          WHERE id = $2 AND NOT $9 RETURNING command_counter
       )
       INSERT INTO vehicle_commands
              (id, vehicle_id, type, status, reason, requested_by, issued_at, expires_at, completed_at, counter)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, CASE WHEN $9 THEN now() END, (SELECT command_counter FROM next))
       RETURNING *`,
      [
        command.id,
        command.vehicleId,
        command.type,
        command.status,
        command.reason ?? null,
        command.requestedBy ?? null,
        command.issuedAt,
        command.expiresAt,
        final,
      ],
    );
    return { command: toView(row), counter: row.counter === null ? null : Number(row.counter) };
  }

  async markSent(id: string): Promise<void> {
    await queryRows(
      this.dataSource,
      `UPDATE vehicle_commands SET status = 'sent', sent_at = now() WHERE id = $1 AND status = 'queued'`,
      [id],
    );
  }

  /** Records the car's answer; undefined when the command is unknown, another car's, or already closed. */
  async complete(
    id: string,
    vehicleId: string,
    status: CommandResultStatus | 'failed',
    reason: string | null,
  ): Promise<CommandView | undefined> {
    const rows = await queryRows<CommandRow>(
      this.dataSource,
      `UPDATE vehicle_commands SET status = $3, reason = $4, completed_at = now(), sent_at = COALESCE(sent_at, now())
        WHERE id = $1 AND vehicle_id = $2 AND ${OPEN}
       RETURNING *`,
      [id, vehicleId, status, reason],
    );
    return rows[0] ? toView(rows[0]) : undefined;
  }

  /** Closes open commands past their expiry as `expired`; `id` limits it to one. */
  async expire(id?: string): Promise<CommandView[]> {
    const rows = await queryRows<CommandRow>(
      this.dataSource,
      `UPDATE vehicle_commands SET status = 'expired', reason = COALESCE(reason, 'no result before expiry'), completed_at = now()
        WHERE ${OPEN} AND expires_at <= now() ${id ? 'AND id = $1' : ''}
       RETURNING *`,
      id ? [id] : [],
    );
    return rows.map(toView);
  }

  async find(id: string): Promise<CommandView | undefined> {
    const rows = await queryRows<CommandRow>(
      this.dataSource,
      `SELECT * FROM vehicle_commands WHERE id = $1`,
      [id],
    );
    return rows[0] ? toView(rows[0]) : undefined;
  }
}
