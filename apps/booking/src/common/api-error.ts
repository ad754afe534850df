import { HttpException } from '@nestjs/common';

/** An error the API answers with: `{statusCode, code, message}` plus any extra fields. */
export class ApiError extends HttpException {
  constructor(
    status: number,
    readonly code: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super({ statusCode: status, code, message, ...extra }, status);
  }
}

export const notFound = (what: string, code = 'NOT_FOUND') => new ApiError(404, code, `${what} not found`);
