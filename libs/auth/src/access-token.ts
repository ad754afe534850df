import { JwtService } from '@nestjs/jwt';
import { TokenConfig } from './token-config';

import type { Role } from './roles';

/** Who is calling, from a verified access token. */
export interface Caller {
  id: string;
  email: string;
  role: Role;
}

interface TokenClaims {
  sub: string;
  email: string;
  role: Role;
}

/** An access token that is missing, malformed, forged, for someone else or expired. */
export class InvalidTokenError extends Error {}

/**
 * Checks access tokens the way every service must: HS256 only (no `none`, no key confusion), our
 * issuer and audience, unexpired.
 */
export class AccessTokens {
  private readonly jwt: JwtService;

  constructor(private readonly config: TokenConfig) {
    this.jwt = new JwtService({ secret: config.JWT_SECRET });
  }

  async verify(token: string | undefined): Promise<Caller> {
    if (!token) throw new InvalidTokenError('a token is required');
    let claims: TokenClaims;
    try {
      claims = await this.jwt.verifyAsync<TokenClaims>(token, {
        algorithms: ['HS256'],
        issuer: this.config.JWT_ISSUER,
        audience: this.config.JWT_AUDIENCE,
      });
    } catch {
      throw new InvalidTokenError('the token is invalid or expired');
    }
    return { id: claims.sub, email: claims.email, role: claims.role };
  }

  /** Seconds until the token expires (0 when it has), from its `exp`; null without one. */
  secondsLeft(token: string): number | null {
    const claims = this.jwt.decode<{ exp?: number } | null>(token);
    return claims?.exp === undefined ? null : Math.max(0, claims.exp - Date.now() / 1000);
  }
}
