import { Caller, hashPassword, verifyPassword } from '@fleet/auth';
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { MfaService } from '../auth/mfa.service';
import { SessionsService } from '../auth/sessions.service';
import { ApiError } from '../common/api-error';
import { BookingConfig, passwordCostOf } from '../config/booking.config';
import { UsersRepository } from '../users/users.repository';
import { MeRepository } from './me.repository';

/** The caller's own account (CONTRACT.md 5: GET/PATCH /me, the export, deletion). */
export interface AccountView {
  id: string;
  email: string;
  name: string;
  role: string;
  createdAt: string;
  mfa: { totpEnrolled: boolean; recoveryCodesLeft: number };
}

@Injectable()
export class MeService {
  constructor(
    private readonly db: DataSource,
    private readonly users: UsersRepository,
    private readonly me: MeRepository,
    private readonly sessions: SessionsService,
    private readonly mfa: MfaService,
    private readonly config: BookingConfig,
  ) {}

  async get(caller: Caller): Promise<AccountView> {
    const user = await this.users.byId(caller.id);
    if (!user) throw new ApiError(401, 'SESSION_REVOKED', 'the account no longer exists');
    return {
      id: user.id,
      email: user.email,
      name: user.name,
      role: user.role,
      createdAt: user.created_at.toISOString(),
      mfa: {
        totpEnrolled: user.totp_enabled,
        recoveryCodesLeft: user.totp_enabled ? await this.mfa.recoveryCodesLeft(user.id) : 0,
      },
    };
  }

  /**
   * Changes the name, or the password (with the current one; every other session then ends). The
   * email address is not changed here: a new address needs verifying first.
   */
  async update(caller: Caller, change: { name?: string; password?: string; currentPassword?: string }) {
    if (change.password !== undefined) {
      const user = await this.users.byId(caller.id);
      if (!user || !(await verifyPassword(change.currentPassword ?? '', user.password_hash))) {
        throw new ApiError(403, 'INVALID_CREDENTIALS', 'currentPassword is wrong');
      }
      const hash = await hashPassword(change.password, passwordCostOf(this.config));
      await this.db.transaction(async (m) => {
        await this.users.setPasswordHash(caller.id, hash, m);
        await this.sessions.endAllOf(caller.id, 'password_changed', m, caller.sessionId);
      });
    }
    if (change.name !== undefined) await this.users.setName(caller.id, change.name);
    return this.get(caller);
  }

  export(caller: Caller) {
    return this.me.export(caller.id).then((data) => ({ exportedAt: new Date().toISOString(), ...data }));
  }

  /** Erases the account's personal data and ends its sessions; refused during a booking. */
  async delete(caller: Caller): Promise<void> {
    await this.db.transaction(async (m) => {
      await m.query(`SELECT 1 FROM users WHERE id = $1 FOR UPDATE`, [caller.id]);
      if (await this.me.hasActiveBooking(caller.id, m)) {
        throw new ApiError(409, 'DRIVER_HAS_ACTIVE_BOOKING', 'end the trip or cancel the reservation first');
      }
      await this.users.anonymise(caller.id, m);
      await this.sessions.endAllOf(caller.id, 'deleted', m);
    });
  }
}
