import { queryRows } from '@fleet/domain';
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ApiError } from '../common/api-error';
import { BookingConfig } from '../config/booking.config';
import { newRecoveryCodes, newTotpSecret, recoveryCodeHash, SecretBox, totpOf, totpStep } from './totp';

/** What enrolment answers: the secret to put in an authenticator app, as text and as a URI (QR code). */
export interface TotpEnrolment {
  secret: string;
  otpauthUri: string;
}

interface TotpRow {
  totp_secret: string | null;
  enabled: boolean;
}

/**
 * TOTP second factor (RFC 6238) with one-time recovery codes. Enrolment is two steps: the secret,
 * then a code from the app proves it was stored; only then does login ask for codes. Each code
 * opens one login (the step it was made for is remembered), each recovery code one.
 */
@Injectable()
export class MfaService {
  private readonly box: SecretBox;

  constructor(
    private readonly db: DataSource,
    config: BookingConfig,
  ) {
    this.box = new SecretBox(config.JWT_SECRET);
  }

  async enrol(userId: string, email: string): Promise<TotpEnrolment> {
    const [row] = await this.totpOf(userId);
    if (row?.enabled)
      throw new ApiError(409, 'MFA_ALREADY_ENROLLED', 'TOTP is already enrolled for this account');
    const secret = newTotpSecret();
    await this.db.query(`UPDATE users SET totp_secret = $2, updated_at = now() WHERE id = $1`, [
      userId,
      this.box.seal(secret),
    ]);
    return { secret, otpauthUri: totpOf(secret, email).toString() };
  }

  /** Completes enrolment with a code of the new secret; answers the recovery codes, shown this once. */
  async confirm(userId: string, code: string): Promise<{ recoveryCodes: string[] }> {
    const [row] = await this.totpOf(userId);
    if (row?.enabled)
      throw new ApiError(409, 'MFA_ALREADY_ENROLLED', 'TOTP is already enrolled for this account');
    const secret = row?.totp_secret ? this.box.open(row.totp_secret) : null;
    if (!secret) throw new ApiError(409, 'MFA_NOT_STARTED', 'start with POST /me/mfa/totp');
    const step = totpStep(secret, code);
    if (step === null)
      throw new ApiError(422, 'INVALID_MFA_CODE', 'the code does not match: check the app and the clock');
    const codes = newRecoveryCodes();
    await this.db.transaction(async (m) => {
      await m.query(
        `UPDATE users SET totp_enabled_at = now(), totp_last_step = $2, updated_at = now() WHERE id = $1`,
        [userId, step],
      );
      await m.query(`DELETE FROM mfa_recovery_codes WHERE user_id = $1`, [userId]);
      await m.query(`INSERT INTO mfa_recovery_codes (user_id, code_hash) SELECT $1, unnest($2::bytea[])`, [
        userId,
        codes.map(recoveryCodeHash),
      ]);
    });
    return { recoveryCodes: codes };
  }

  /**
   * Whether `code` (a TOTP code, or a recovery code) opens this login; it is used up if so. A TOTP
   * code is good once: a second login with the same one in its 30 s fails.
   */
  async redeem(userId: string, sealedSecret: string, code: string): Promise<boolean> {
    if (/^\d{6}$/.test(code)) {
      const secret = this.box.open(sealedSecret);
      const step = secret ? totpStep(secret, code) : null;
      if (step === null) return false;
      const taken = await queryRows(
        this.db,
        `UPDATE users SET totp_last_step = $2 WHERE id = $1 AND coalesce(totp_last_step, -1) < $2 RETURNING id`,
        [userId, step],
      );
      return taken.length === 1;
    }
    const used = await queryRows(
      this.db,
      `UPDATE mfa_recovery_codes SET used_at = now()
        WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL RETURNING user_id`,
      [userId, recoveryCodeHash(code)],
    );
    return used.length === 1;
  }

  /** Recovery codes not yet used (the account's export and GET /me show how many are left). */
  async recoveryCodesLeft(userId: string): Promise<number> {
    const [row] = await queryRows<{ n: number }>(
      this.db,
      `SELECT count(*)::int AS n FROM mfa_recovery_codes WHERE user_id = $1 AND used_at IS NULL`,
      [userId],
    );
    return row.n;
  }

  private totpOf(userId: string): Promise<TotpRow[]> {
    return queryRows<TotpRow>(
      this.db,
      `SELECT totp_secret, totp_enabled_at IS NOT NULL AS enabled FROM users WHERE id = $1`,
      [userId],
    );
  }
}
