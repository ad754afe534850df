import { queryRows } from '@fleet/domain';
import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { DataSource } from 'typeorm';
import { ApiError } from '../common/api-error';
import { BookingConfig } from '../config/booking.config';
import { LoginBackoff } from '../throttle/login-backoff';
import { hashPassword, Role, verifyPassword } from '@fleet/auth';

export interface UserView {
  id: string;
  email: string;
  name: string;
  role: Role;
}

/** A stored hash to compare against when the email is unknown, so both cases take as long. */
let decoyHash: Promise<string> | undefined;

@Injectable()
export class AuthService implements OnApplicationBootstrap {
  private readonly logger = new Logger(AuthService.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly jwt: JwtService,
    private readonly config: BookingConfig,
    private readonly loginBackoff: LoginBackoff,
  ) {}

  /** The operator from FLEET_OPERATOR_EMAIL / FLEET_OPERATOR_PASSWORD exists with that password. */
  async onApplicationBootstrap(): Promise<void> {
    await this.upsertOperator(
      this.config.FLEET_OPERATOR_EMAIL,
      this.config.FLEET_OPERATOR_PASSWORD,
      'Operator',
    );
  }

  async register(email: string, password: string, name: string, role: Role = 'driver'): Promise<UserView> {
    const hash = await hashPassword(password, this.config.PASSWORD_SCRYPT_LOG_N);
    const rows = await queryRows<UserView>(
      this.dataSource,
      `INSERT INTO users (email, name, role, password_hash) VALUES ($1, $2, $3, $4)
       ON CONFLICT (email) DO NOTHING RETURNING id, email, name, role`,
      [email.toLowerCase(), name, role, hash],
    );
    if (rows.length === 0) throw new ApiError(409, 'EMAIL_TAKEN', 'this email is already registered');
    return rows[0];
  }

  /** Creates an operator, or makes an existing user of that email an operator with this password. */
  async upsertOperator(email: string, password: string, name: string): Promise<UserView> {
    const hash = await hashPassword(password, this.config.PASSWORD_SCRYPT_LOG_N);
    const [row] = await queryRows<UserView>(
      this.dataSource,
      `INSERT INTO users (email, name, role, password_hash) VALUES ($1, $2, 'operator', $3)
       ON CONFLICT (email) DO UPDATE SET role = 'operator', password_hash = EXCLUDED.password_hash
       RETURNING id, email, name, role`,
      [email.toLowerCase(), name, hash],
    );
    this.logger.log(`operator ${row.email} ready`);
    return row;
  }

  async login(
    email: string,
    password: string,
  ): Promise<{ accessToken: string; tokenType: 'Bearer'; expiresIn: number }> {
    await this.loginBackoff.assertAllowed(email);
    const [user] = await queryRows<UserView & { password_hash: string }>(
      this.dataSource,
      `SELECT id, email, name, role, password_hash FROM users WHERE email = $1`,
      [email.toLowerCase()],
    );
    decoyHash ??= hashPassword('decoy password', this.config.PASSWORD_SCRYPT_LOG_N);
    const ok = await verifyPassword(password, user?.password_hash ?? (await decoyHash));
    if (!user || !ok) {
      await this.loginBackoff.recordFailure(email);
      throw new ApiError(401, 'INVALID_CREDENTIALS', 'wrong email or password');
    }
    await this.loginBackoff.recordSuccess(email);
    const expiresIn = this.config.JWT_TTL_S;
    const accessToken = await this.jwt.signAsync(
      { email: user.email, role: user.role },
      {
        algorithm: 'HS256',
        subject: user.id,
        issuer: this.config.JWT_ISSUER,
        audience: this.config.JWT_AUDIENCE,
        expiresIn,
      },
    );
    return { accessToken, tokenType: 'Bearer', expiresIn };
  }
}
