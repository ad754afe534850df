import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { ApiError, statusCode } from './api-error';
import { requestBodyError } from './request-body';

/**
 * SQLSTATEs of text PostgreSQL refuses to store: 22021 character_not_in_repertoire ("invalid byte
 * sequence for encoding UTF8: 0x00", a NUL in a parameter) and 22P05 untranslatable_character (a
 * \u0000 escape in json). The booking service converts no stored bytes to text in SQL, so these
 * come from what a client sent.
 */
const UNSTORABLE_TEXT_STATES = new Set(['22021', '22P05']);

/**
 * The answer to a PostgreSQL error caused by text a client sent that got past validation (TypeORM
 * puts the SQLSTATE on the error as `code`, the pg driver's error is its `driverError`), or undefined.
 */
export function unstorableTextError(err: unknown): ApiError | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { code?: unknown; driverError?: { code?: unknown } };
  const state = e.code ?? e.driverError?.code;
  if (typeof state !== 'string' || !UNSTORABLE_TEXT_STATES.has(state)) return undefined;
  return new ApiError(
    400,
    'VALIDATION_FAILED',
    'the request holds text that cannot be stored, such as the NUL character (U+0000)',
  );
}

/**
 * Seconds a refused client should wait (Retry-After, RFC 9110), which every 429 carries: the error's
 * own, else the longest Retry-After-<name> a plain ThrottlerGuard set, else a minute (the window of
 * every per-address limit).
 */
function retryAfterS(res: Response, exception: HttpException): number {
  if (exception instanceof ApiError && exception.retryAfterS !== undefined)
    return Math.max(1, Math.ceil(exception.retryAfterS));
  const named = res
    .getHeaderNames()
    .filter((name) => name.startsWith('retry-after-'))
    .map((name) => Number(res.getHeader(name)))
    .filter((s) => s > 0);
  return named.length ? Math.max(...named) : 60;
}

/** One error shape for every error: `{statusCode, code, message, ...}` (CONTRACT.md section 2). */
@Catch()
export class ErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger(ErrorFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const res = http.getResponse<Response>();
    if (exception instanceof HttpException) return this.answer(res, exception);
    // Client errors that are no HttpException: answered for what they are, no stack logged.
    const bodyError = requestBodyError(exception);
    if (bodyError) return this.answer(res, bodyError);
    const textError = unstorableTextError(exception);
    if (textError) {
      // Validation let it through (RequestValidationPipe covers bodies and queries): worth a line.
      const req = http.getRequest<Request>();
      const route = (req.route as { path?: string } | undefined)?.path ?? req.path;
      this.logger.warn(
        `${req.method} ${route}: PostgreSQL refused text of the request (${(exception as Error).message}); answered 400`,
      );
      return this.answer(res, textError);
    }
    this.logger.error(
      exception instanceof Error ? (exception.stack ?? exception.message) : String(exception),
    );
    res.status(500).json({ statusCode: 500, code: 'INTERNAL_ERROR', message: 'internal error' });
  }

  private answer(res: Response, exception: HttpException): void {
    const status = exception.getStatus();
    if (status === 429) res.setHeader('Retry-After', retryAfterS(res, exception));
    const body = exception.getResponse();
    if (typeof body === 'object' && body !== null && 'code' in body) {
      res.status(status).json(body);
      return;
    }
    const raw = typeof body === 'string' ? body : (body as { message?: unknown }).message;
    const message = Array.isArray(raw)
      ? raw.join('; ')
      : typeof raw === 'string'
        ? raw
        : (HttpStatus[status] ?? 'error');
    res.status(status).json({ statusCode: status, code: statusCode(status), message });
  }
}
