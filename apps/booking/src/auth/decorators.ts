import { applyDecorators, createParamDecorator, ExecutionContext, UseGuards } from '@nestjs/common';
import { SkipThrottle } from '@nestjs/throttler';
import { RateLimitGuard } from '../throttle/rate-limits';
import type { Request } from 'express';
import { Caller } from '@fleet/auth';

/** The verified caller of the request (who may call the route is the permission table's business). */
export const CurrentUser = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): Caller =>
    ctx.switchToHttp().getRequest<Request & { user: Caller }>().user,
);

/** A booking write (reservations, trips): throttled per client address at THROTTLE_WRITES_PER_MIN. */
export const BookingWrite = () => applyDecorators(UseGuards(RateLimitGuard), SkipThrottle({ auth: true }));
