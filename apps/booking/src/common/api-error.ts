import { HttpException } from '@nestjs/common';

/**
 * An error the API answers with: `{statusCode, code, message}` plus any extra fields; `retryAfterS`,
 * when given, goes out as the Retry-After header (seconds), not in the body.
 */
export class ApiError extends HttpException {
  constructor(
    status: number,
    readonly code: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
    readonly retryAfterS?: number,
  ) {
    super({ statusCode: status, code, message, ...extra }, status);
  }
}

export const notFound = (what: string, code = 'NOT_FOUND') => new ApiError(404, code, `${what} not found`);

/** Upper-snake codes for errors Nest or Express raise themselves, by HTTP status. */
export const STATUS_CODES: Readonly<Record<number, string>> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  422: 'UNPROCESSABLE_ENTITY',
  429: 'TOO_MANY_REQUESTS',
  500: 'INTERNAL_ERROR',
  502: 'BAD_GATEWAY',
  503: 'SERVICE_UNAVAILABLE',
  504: 'GATEWAY_TIMEOUT',
};

/** The code of an error raised with only a status. */
export const statusCode = (status: number): string => STATUS_CODES[status] ?? `HTTP_${status}`;
