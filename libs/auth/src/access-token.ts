import { JwtService } from '@nestjs/jwt';
import { isRole, Role } from './roles';
import { TokenConfig } from './token-config';

/** Who is calling, from a verified access token. */
export interface Caller {
  id: string;
  email: string;
  role: Role;
  /** The session the token was issued for (CONTRACT.md 5: ended sessions lose access). */
  sessionId: string;
  /** Whether the session was opened with a TOTP or recovery code as well as the password. */
  mfa: boolean;
}

/** What an access token says, besides the registered claims `iss`, `aud`, `iat` and `exp`. */
export interface AccessClaims {
  sub: string;
  sid: string;
  email: string;
  role: Role;
  /** How the session was authenticated (RFC 8176): `pwd`, plus `otp` after a TOTP or recovery code. */
  amr: string[];
}

/** An access token that is missing, malformed, forged, for someone else, expired or too long-lived. */
export class InvalidTokenError extends Error {}

/** The longest an access token may live, in seconds (CONTRACT.md 5: at most 15 minutes). */
export const ACCESS_TOKEN_MAX_TTL_S = 15 * 60;

/**
 * Checks access tokens the way every service must (RFC 8725): HS256 only (no `none`, no key
 * confusion), our issuer and audience, `iat` and `exp` both present, unexpired, and no longer-lived
 * than ACCESS_TOKEN_MAX_TTL_S, so a token minted with a long life is refused even while valid.
 * Whether its session still holds is the SessionCheck's question.
 */
export class AccessTokens {
  private readonly jwt: JwtService;

  constructor(private readonly config: TokenConfig) {
    this.jwt = new JwtService({ secret: config.JWT_SECRET });
  }

  /** A signed access token for these claims, valid for `ttlS` seconds (at most the maximum). */
  sign(claims: AccessClaims, ttlS: number): Promise<string> {
    const { sub, ...rest } = claims;
    return this.jwt.signAsync(rest, {
      algorithm: 'HS256',
      subject: sub,
      issuer: this.config.JWT_ISSUER,
      audience: this.config.JWT_AUDIENCE,
      expiresIn: Math.min(ttlS, ACCESS_TOKEN_MAX_TTL_S),
    });
  }

  async verify(token: string | undefined): Promise<Caller> {
    if (!token) throw new InvalidTokenError('a token is required');
    let claims: Partial<AccessClaims> & { iat?: unknown; exp?: unknown };
    try {
      claims = await this.jwt.verifyAsync(token, {
        algorithms: ['HS256'],
        issuer: this.config.JWT_ISSUER,
        audience: this.config.JWT_AUDIENCE,
      });
    } catch {
      throw new InvalidTokenError('the token is invalid or expired');
    }
    const { iat, exp } = claims;
    if (typeof exp !== 'number' || typeof iat !== 'number') {
      throw new InvalidTokenError('the token has no expiry');
    }
    if (exp - iat > ACCESS_TOKEN_MAX_TTL_S) {
      throw new InvalidTokenError(`the token lives longer than ${ACCESS_TOKEN_MAX_TTL_S} s`);
    }
    if (typeof claims.sub !== 'string' || typeof claims.sid !== 'string' || !isRole(claims.role)) {
      throw new InvalidTokenError('the token is not an access token of this platform');
    }
    return {
      id: claims.sub,
      email: String(claims.email),
      role: claims.role,
      sessionId: claims.sid,
      mfa: Array.isArray(claims.amr) && claims.amr.includes('otp'),
    };
  }

  /** Seconds until the token expires (0 when it has), from its `exp`; null without one. */
  secondsLeft(token: string): number | null {
    const claims = this.jwt.decode<{ exp?: number } | null>(token);
    return claims?.exp === undefined ? null : Math.max(0, claims.exp - Date.now() / 1000);
  }
}
