import { isUuid, StaffRole } from '@fleet/auth';
import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { SessionsService } from '../auth/sessions.service';
import { ApiError } from '../common/api-error';
import { badCursor } from '../common/paging';
import { BookingConfig } from '../config/booking.config';
import { Mailer } from '../mail/mailer';
import { staffInvitation } from '../mail/messages';
import { UsersRepository } from '../users/users.repository';

/** A staff member as admins see them. */
export interface StaffView {
  id: string;
  email: string;
  name: string;
  role: StaffRole;
  status: 'invited' | 'active' | 'blocked';
  blockedReason: string | null;
  totpEnrolled: boolean;
  createdAt: string;
}

/** What an invitation answers; the link is in the mail (and, for the CLI, printed). */
export interface Invitation extends StaffView {
  invitationExpiresAt: string;
}

type StaffRow = Awaited<ReturnType<UsersRepository['staffPage']>>[number];

const view = (r: StaffRow): StaffView => ({
  id: r.id,
  email: r.email,
  name: r.name,
  role: r.role as StaffRole,
  status: r.blocked_at ? 'blocked' : r.invited ? 'invited' : 'active',
  blockedReason: r.blocked_reason,
  totpEnrolled: r.totp_enabled,
  createdAt: r.created_at.toISOString(),
});

/**
 * Staff management (CONTRACT.md 5, admins only): invite (the new member sets a password through a
 * one-time link sent by mail), change a role, block and unblock. A role change or a block ends the
 * member's sessions at once, so their tokens stop working everywhere within the session check's
 * reuse time.
 */
@Injectable()
export class StaffService {
  private readonly logger = new Logger(StaffService.name);

  constructor(
    private readonly db: DataSource,
    private readonly users: UsersRepository,
    private readonly sessions: SessionsService,
    private readonly mailer: Mailer,
    private readonly config: BookingConfig,
  ) {}

  /** Invites a member; the link's token comes back for the CLI, which prints it (the API does not). */
  async invite(member: {
    email: string;
    name: string;
    role: StaffRole;
  }): Promise<{ invitation: Invitation; link: string }> {
    // The mail goes out before the member is committed: an invitation that could not be sent leaves
    // nothing behind, and the admin can simply try again.
    const made = await this.db.transaction(async (m) => {
      const user = await this.users.insert({ ...member, passwordHash: null }, m);
      if (!user) throw new ApiError(409, 'EMAIL_TAKEN', 'an account with this email exists');
      const { token, expiresAt } = await this.users.createOneTimeToken(
        user.id,
        this.config.INVITATION_TTL_H,
        m,
      );
      const link = `${this.config.FLEET_PUBLIC_URL}/#set-password=${token}`;
      const mail = staffInvitation({ name: user.name, role: member.role, link, expiresAt });
      await this.mailer.send({ to: user.email, ...mail }).catch((err: Error) => {
        throw new ApiError(
          502,
          'MAIL_NOT_SENT',
          `the invitation could not be mailed (${err.message}); nothing was saved`,
        );
      });
      return { user, link, expiresAt };
    });
    const { link } = made;
    this.logger.log(`invited ${made.user.email} as ${made.user.role}`);
    const [row] = await this.users.staffPage(1, undefined, made.user.id);
    return { invitation: { ...view(row), invitationExpiresAt: made.expiresAt.toISOString() }, link };
  }

  async list(limit: number, cursor?: string): Promise<{ items: StaffView[]; nextCursor: string | null }> {
    const after = cursor === undefined ? undefined : decodeCursor(cursor);
    const rows = await this.users.staffPage(limit + 1, after);
    const items = rows.slice(0, limit).map(view);
    const last = rows.length > limit ? rows[limit - 1] : undefined;
    return { items, nextCursor: last ? encodeCursor(last.created_at, last.id) : null };
  }

  /** The member of this email address, for the CLI. */
  async idOf(email: string): Promise<string> {
    const user = await this.users.byEmail(email);
    if (!user || user.role === 'driver')
      throw new ApiError(404, 'STAFF_NOT_FOUND', `no staff member ${email}`);
    return user.id;
  }

  /**
   * Changes a member's role, blocks (with a reason) or unblocks them, or removes their second factor
   * so that they enrol again (`actorId` null: the CLI).
   */
  async update(
    actorId: string | null,
    id: string,
    change: { role?: StaffRole; blocked?: boolean; reason?: string; resetMfa?: boolean },
  ): Promise<StaffView> {
    if (id === actorId) {
      throw new ApiError(409, 'OWN_ACCOUNT', 'admins do not change their own role or block themselves');
    }
    await this.db.transaction(async (m) => {
      const user = await this.users.byId(id, m);
      if (!user || user.role === 'driver')
        throw new ApiError(404, 'STAFF_NOT_FOUND', 'staff member not found');
      if (change.role !== undefined && change.role !== user.role) {
        await this.users.setRole(id, change.role, m);
        await this.sessions.endAllOf(id, 'role_changed', m);
      }
      if (change.blocked === true && !user.blocked_at) {
        await this.users.setBlocked(id, change.reason ?? 'blocked by an admin', m);
        await this.sessions.endAllOf(id, 'blocked', m);
      }
      if (change.blocked === false && user.blocked_at) await this.users.setBlocked(id, null, m);
      if (change.resetMfa && user.totp_enabled) {
        await this.users.resetTotp(id, m);
        await this.sessions.endAllOf(id, 'revoked', m);
      }
    });
    const [row] = await this.users.staffPage(1, undefined, id);
    return view(row);
  }
}

function encodeCursor(createdAt: Date, id: string): string {
  return Buffer.from(JSON.stringify([createdAt.toISOString(), id])).toString('base64url');
}

function decodeCursor(cursor: string): { createdAt: string; id: string } {
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as unknown[];
    if (
      typeof createdAt === 'string' &&
      !Number.isNaN(Date.parse(createdAt)) &&
      typeof id === 'string' &&
      isUuid(id)
    ) {
      return { createdAt, id };
    }
  } catch {
    // answered below
  }
  throw badCursor();
}
