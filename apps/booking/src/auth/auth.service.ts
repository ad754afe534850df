import { hashPassword, needsRehash, PasswordCost, verifyPassword } from '@fleet/auth';
import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { ApiError } from '../common/api-error';
import { BookingConfig, passwordCostOf } from '../config/booking.config';
import { Mailer } from '../mail/mailer';
import { registrationAttempt } from '../mail/messages';
import { LoginBackoff } from '../throttle/login-backoff';
import { UsersRepository, UserView } from '../users/users.repository';
import { MfaService } from './mfa.service';
import { ClientInfo, SessionsService, TokenPair } from './sessions.service';

/**
 * Registration, login (password, backoff per account, TOTP), one-time password links. Sessions and
 * their tokens are SessionsService's.
 */
@Injectable()
export class AuthService implements OnApplicationBootstrap {
  private readonly logger = new Logger(AuthService.name);
  private readonly cost: PasswordCost;
  /** A hash to compare against when the email is unknown, so that both cases take as long. */
  private decoy?: Promise<string>;

  constructor(
    private readonly db: DataSource,
    private readonly users: UsersRepository,
    private readonly sessions: SessionsService,
    private readonly mfa: MfaService,
    private readonly backoff: LoginBackoff,
    private readonly mailer: Mailer,
    private readonly config: BookingConfig,
  ) {
    this.cost = passwordCostOf(config);
  }

  /** The first admin, from FLEET_OPERATOR_EMAIL / FLEET_OPERATOR_PASSWORD, exists with that password. */
  async onApplicationBootstrap(): Promise<void> {
    const hash = await hashPassword(this.config.FLEET_OPERATOR_PASSWORD, this.cost);
    const admin = await this.users.upsertAdmin(this.config.FLEET_OPERATOR_EMAIL, 'Administrator', hash);
    this.logger.log(`admin ${admin.email} ready`);
  }

  /**
   * A new driver. A taken address gets the same answer (a fresh id that names no account, after the
   * same hashing work), and its owner an email saying so: nobody learns from here who has an account.
   */
  async register(email: string, password: string, name: string): Promise<UserView> {
    const hash = await hashPassword(password, this.cost);
    const created = await this.users.insert({ email, name, role: 'driver', passwordHash: hash });
    if (created) return created;
    const notice = registrationAttempt({ email: email.toLowerCase() });
    this.mailer
      .send({ to: email.toLowerCase(), ...notice })
      .catch((err: Error) =>
        this.logger.warn(`registration notice to a taken address not sent: ${err.message}`),
      );
    return { id: randomUUID(), email: email.toLowerCase(), name, role: 'driver' };
  }

  async login(
    credentials: { email: string; password: string; totp?: string },
    client: ClientInfo,
  ): Promise<TokenPair> {
    const { email, password, totp } = credentials;
    await this.backoff.assertAllowed(email);
    const user = await this.users.byEmail(email);
    this.decoy ??= hashPassword('decoy password', this.cost);
    const ok = await verifyPassword(password, user?.password_hash ?? (await this.decoy));
    // A refusal from here on leaves the attempt assertAllowed counted as a failure.
    if (!user || !ok) throw new ApiError(401, 'INVALID_CREDENTIALS', 'wrong email or password');
    if (user.blocked_at) throw new ApiError(401, 'ACCOUNT_BLOCKED', 'the account is blocked');
    const amr = ['pwd'];
    if (user.totp_enabled && user.totp_secret) {
      if (totp === undefined) {
        throw new ApiError(401, 'MFA_REQUIRED', 'this account logs in with a TOTP code: send it as totp');
      }
      if (!(await this.mfa.redeem(user.id, user.totp_secret, totp))) {
        throw new ApiError(401, 'INVALID_MFA_CODE', 'the code is wrong, was used already, or is too old');
      }
      amr.push('otp');
    }
    await this.backoff.recordSuccess(email);
    if (needsRehash(user.password_hash!, this.cost)) {
      // Stored at an older cost or by the older KDF: stored anew now that the password is at hand.
      await this.users.setPasswordHash(user.id, await hashPassword(password, this.cost));
    }
    return this.sessions.open(user, amr, client);
  }

  /** Sets a password through a one-time link (an invitation); every session of the account ends. */
  async setPassword(token: string, password: string): Promise<UserView> {
    const hash = await hashPassword(password, this.cost);
    const user = await this.db.transaction(async (m) => {
      const userId = await this.users.redeemOneTimeToken(token, m);
      if (!userId) return undefined;
      await this.users.setPasswordHash(userId, hash, m);
      await this.sessions.endAllOf(userId, 'password_changed', m);
      return this.users.byId(userId, m);
    });
    if (!user)
      throw new ApiError(400, 'INVALID_LINK', 'the link is unknown, used or expired: ask for a new one');
    return { id: user.id, email: user.email, name: user.name, role: user.role };
  }
}
