import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import { ApiError, statusCode } from './api-error';

/** The largest request body read, in bytes (body-parser's default of 100 kB, stated). */
export const BODY_LIMIT_BYTES = 100 * 1024;

/**
 * The answer to an error of reading or parsing a request body, or undefined for any other error.
 * body-parser's errors carry a `type` and a 4xx `status` marked `expose` (a client's fault).
 */
export function requestBodyError(err: unknown): ApiError | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const { type, status, expose, message, limit } = err as Record<string, unknown>;
  if (typeof type !== 'string' || typeof status !== 'number' || expose !== true) return undefined;
  if (status < 400 || status > 499) return undefined;
  switch (type) {
    case 'entity.too.large':
      return new ApiError(
        413,
        'PAYLOAD_TOO_LARGE',
        `the request body is larger than the limit of ${typeof limit === 'number' ? limit : BODY_LIMIT_BYTES} bytes`,
      );
    case 'entity.parse.failed':
      return new ApiError(400, 'MALFORMED_JSON', `the request body is not valid JSON: ${String(message)}`);
    default:
      return new ApiError(status, statusCode(status), String(message));
  }
}

/**
 * Express error middleware after the body parsers: their errors become API errors here, as Nest's
 * router would answer a JSON syntax error with a bare 400 and the rest (413, 415) with a 500.
 */
export function answerRequestBodyErrors(
  err: unknown,
  _req: Request,
  _res: Response,
  next: NextFunction,
): void {
  next(requestBodyError(err) ?? err);
}

/**
 * JSON (and form) bodies up to BODY_LIMIT_BYTES, as Nest's default parsers read them, their errors
 * answered as API errors. For an app created with `bodyParser: false`; after `enableCors`, so that
 * these answers carry the CORS headers too.
 */
export function useRequestBodyParsers(app: NestExpressApplication): void {
  app.useBodyParser('json', { limit: BODY_LIMIT_BYTES });
  app.useBodyParser('urlencoded', { extended: true, limit: BODY_LIMIT_BYTES });
  app.use(answerRequestBodyErrors);
}
