import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { HealthController } from '@fleet/service-kit';
import type { Request } from 'express';
import { ApiError } from '../common/api-error';
import { AccessTokens, Caller, Role } from '@fleet/auth';
import { PUBLIC_KEY, ROLES_KEY } from './decorators';

/**
 * Guards every route: a Bearer token signed with HS256 by us, for our audience, unexpired; and the
 * route's roles. Routes marked @Public, and /health, pass without one.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: AccessTokens,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const targets = [ctx.getHandler(), ctx.getClass()];
    if (ctx.getClass() === HealthController) return true;
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    const req = ctx.switchToHttp().getRequest<Request & { user?: Caller }>();
    const [scheme, token] = (req.headers.authorization ?? '').split(' ');
    if (scheme !== 'Bearer' || !token) throw new ApiError(401, 'UNAUTHORIZED', 'a Bearer token is required');
    const caller = await this.tokens.verify(token).catch((err: Error) => {
      throw new ApiError(401, 'UNAUTHORIZED', err.message);
    });
    req.user = caller;
    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, targets);
    if (roles && !roles.includes(caller.role)) {
      throw new ApiError(403, 'FORBIDDEN', `this route is for ${roles.join(' or ')}s`);
    }
    return true;
  }
}
