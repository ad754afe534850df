import {
  allows,
  AccessTokens,
  Caller,
  MFA_ROLES,
  Permission,
  PERMISSIONS,
  SESSION_REFUSAL_MESSAGES,
  SessionCheck,
} from '@fleet/auth';
import { CanActivate, ExecutionContext, Injectable, Logger } from '@nestjs/common';
import type { Request } from 'express';
import { ApiError } from '../common/api-error';
import { BookingConfig } from '../config/booking.config';

/** The API's base path, which the permission table's keys leave out. */
const API_PREFIX = '/api/v1';

/** The permission table's key of a request's route: `METHOD /path` as declared. */
export function routeKey(req: Request): string | undefined {
  const path = (req.route as { path?: string } | undefined)?.path;
  if (path === undefined) return undefined;
  return `${req.method} ${path.startsWith(API_PREFIX) ? path.slice(API_PREFIX.length) || '/' : path}`;
}

/**
 * Guards every route from one place, the permission table (@fleet/auth PERMISSIONS): a route
 * without a row is refused to everyone; a public one passes; any other needs a Bearer access token
 * (AccessTokens: signature, issuer, audience, lifetime), a session that still holds (SessionCheck:
 * not ended, account not blocked, deleted or given another role), TOTP where it is enforced, and a
 * role the row allows.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  private readonly logger = new Logger(AuthGuard.name);

  constructor(
    private readonly tokens: AccessTokens,
    private readonly sessions: SessionCheck,
    private readonly config: BookingConfig,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const req = ctx.switchToHttp().getRequest<Request & { user?: Caller }>();
    const key = routeKey(req);
    const permission: Permission | undefined = key === undefined ? undefined : PERMISSIONS[key];
    if (!permission) {
      this.logger.error(`${key ?? req.path} has no row in the permission table: refused`);
      throw new ApiError(403, 'FORBIDDEN', 'this endpoint is not open to anyone');
    }
    if (permission.access === 'public') return true;
    const caller = await this.authenticate(req);
    req.user = caller;
    if (this.config.MFA_ENFORCED && !permission.beforeMfa && MFA_ROLES.includes(caller.role) && !caller.mfa) {
      throw new ApiError(
        403,
        'MFA_ENROLMENT_REQUIRED',
        `a ${caller.role} enrols TOTP (POST /me/mfa/totp) and logs in with a code before anything else`,
      );
    }
    if (!allows(permission.access, caller.role)) {
      const roles = permission.access as readonly string[];
      throw new ApiError(403, 'FORBIDDEN', `this endpoint is for ${roles.join(', ')}`);
    }
    return true;
  }

  private async authenticate(req: Request): Promise<Caller> {
    const [scheme, token] = (req.headers.authorization ?? '').split(' ');
    if (scheme !== 'Bearer' || !token) throw new ApiError(401, 'UNAUTHORIZED', 'a Bearer token is required');
    const caller = await this.tokens.verify(token).catch((err: Error) => {
      throw new ApiError(401, 'UNAUTHORIZED', err.message);
    });
    const refusal = await this.sessions.check(caller);
    if (refusal) throw new ApiError(401, refusal, SESSION_REFUSAL_MESSAGES[refusal]);
    return caller;
  }
}
