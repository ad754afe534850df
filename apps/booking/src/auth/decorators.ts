import {
  applyDecorators,
  createParamDecorator,
  ExecutionContext,
  SetMetadata,
  UseGuards,
} from '@nestjs/common';
import { SkipThrottle } from '@nestjs/throttler';
import type { Request } from 'express';
import { Caller, Role } from '@fleet/auth';
import { RateLimitGuard } from '../throttle/rate-limits';

export const PUBLIC_KEY = 'fleet:public';
export const ROLES_KEY = 'fleet:roles';

/** The route needs no token. */
export const Public = () => SetMetadata(PUBLIC_KEY, true);

/** Only these roles may call the route (every route needs a token unless @Public). */
export const Roles = (...roles: Role[]) => SetMetadata(ROLES_KEY, roles);

/** The verified caller of the request. */
export const CurrentUser = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): Caller =>
    ctx.switchToHttp().getRequest<Request & { user: Caller }>().user,
);

/** A booking write (reservations, trips): throttled per client address at THROTTLE_WRITES_PER_MIN. */
export const BookingWrite = () => applyDecorators(UseGuards(RateLimitGuard), SkipThrottle({ auth: true }));
