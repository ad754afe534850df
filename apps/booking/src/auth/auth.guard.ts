import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { HealthController } from '@fleet/service-kit';
import { JwtService } from '@nestjs/jwt';
import type { Request } from 'express';
import { ApiError } from '../common/api-error';
import { BookingConfig } from '../config/booking.config';
import { Caller, Role } from './auth.types';
import { PUBLIC_KEY, ROLES_KEY } from './decorators';

interface TokenClaims {
  sub: string;
  email: string;
  role: Role;
}

/**
 * Guards every route: a Bearer token signed with HS256 by us, for our audience, unexpired; and the
 * route's roles. Routes marked @Public, and /health, pass without one.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly jwt: JwtService,
    private readonly config: BookingConfig,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const targets = [ctx.getHandler(), ctx.getClass()];
    if (ctx.getClass() === HealthController) return true;
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    const req = ctx.switchToHttp().getRequest<Request & { user?: Caller }>();
    const [scheme, token] = (req.headers.authorization ?? '').split(' ');
    if (scheme !== 'Bearer' || !token) throw new ApiError(401, 'UNAUTHORIZED', 'a Bearer token is required');
    let claims: TokenClaims;
    try {
      claims = await this.jwt.verifyAsync<TokenClaims>(token, {
        algorithms: ['HS256'],
        issuer: this.config.JWT_ISSUER,
        audience: this.config.JWT_AUDIENCE,
      });
    } catch {
      throw new ApiError(401, 'UNAUTHORIZED', 'the token is invalid or expired');
    }
    req.user = { id: claims.sub, email: claims.email, role: claims.role };
    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, targets);
    if (roles && !roles.includes(claims.role)) {
      throw new ApiError(403, 'FORBIDDEN', `this route is for ${roles.join(' or ')}s`);
    }
    return true;
  }
}
