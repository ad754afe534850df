import { Caller, isStaff } from '@fleet/auth';
import { CallHandler, ExecutionContext, HttpException, Injectable, NestInterceptor } from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import { catchError, from, mergeMap, Observable, throwError } from 'rxjs';
import { routeKey } from '../auth/auth.guard';
import { AuditService } from './audit.service';

/** Body fields never written to the audit log. */
const SECRET_FIELDS = new Set(['password', 'currentPassword', 'token', 'refreshToken', 'totp', 'code']);

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The car a write is about: the path's id on vehicle routes, the body's on a registration. */
function vehicleOf(key: string, id: string | undefined, body: Record<string, unknown>): string | undefined {
  if (key === 'POST /vehicles') return typeof body.id === 'string' ? body.id : undefined;
  return key.includes(' /vehicles/:id') ? id : undefined;
}

/**
 * Writes every staff write to the audit log once it has been answered, refused ones included (a
 * refusal by the permission table never gets here: guards run first, and change nothing). The
 * answer waits for the log row, so no staff write is answered without its record.
 */
@Injectable()
export class AuditInterceptor implements NestInterceptor {
  constructor(
    private readonly audit: AuditService,
    private readonly reflector: Reflector,
  ) {}

  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    const req = ctx.switchToHttp().getRequest<Request & { user?: Caller }>();
    const caller = req.user;
    if (!caller || !isStaff(caller.role) || READS.has(req.method)) return next.handle();
    const res = ctx.switchToHttp().getResponse<Response>();
    const declared = this.reflector.get<number | undefined>(HTTP_CODE_METADATA, ctx.getHandler());
    const write = (status: number) => this.write(req, caller, status);
    return next.handle().pipe(
      mergeMap((value: unknown) => {
        const status =
          res.statusCode !== 200 ? res.statusCode : (declared ?? (req.method === 'POST' ? 201 : 200));
        return from(write(status).then(() => value));
      }),
      catchError((err: unknown) =>
        from(write(err instanceof HttpException ? err.getStatus() : 500)).pipe(
          mergeMap(() => throwError(() => err)),
        ),
      ),
    );
  }

  private write(req: Request, caller: Caller, statusCode: number): Promise<void> {
    const body = (typeof req.body === 'object' && req.body !== null ? req.body : {}) as Record<
      string,
      unknown
    >;
    const detail = Object.fromEntries(Object.entries(body).filter(([k]) => !SECRET_FIELDS.has(k)));
    const id = typeof req.params?.id === 'string' ? req.params.id : undefined;
    const key = routeKey(req) ?? `${req.method} ${req.path}`;
    return this.audit.record({
      actor: { id: caller.id, email: caller.email, role: caller.role },
      action: key,
      target: id,
      vehicleId: vehicleOf(key, id, body),
      reason: typeof body.reason === 'string' ? body.reason : undefined,
      ip: req.ip,
      statusCode,
      detail,
    });
  }
}
