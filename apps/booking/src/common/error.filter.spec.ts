import { ArgumentsHost, BadRequestException, HttpException, Logger, NotFoundException } from '@nestjs/common';
import { QueryFailedError } from 'typeorm';
import { ApiError } from './api-error';
import { ErrorFilter, unstorableTextError } from './error.filter';

/** A PostgreSQL error as TypeORM throws it: the driver's error (with its SQLSTATE) wrapped. */
function queryFailed(code: string, message: string): QueryFailedError {
  return new QueryFailedError('SELECT 1 WHERE $1 = $1', ['x'], Object.assign(new Error(message), { code }));
}
const NUL_REFUSED = 'invalid byte sequence for encoding "UTF8": 0x00';

/** What the filter answered and logged for `exception`. */
function filter(exception: unknown) {
  const answer: { status?: number; body?: unknown } = {};
  const res = {
    status(status: number) {
      answer.status = status;
      return this;
    },
    json(body: unknown) {
      answer.body = body;
      return this;
    },
  };
  const req = { method: 'POST', path: '/api/v1/vehicles', route: { path: '/api/v1/vehicles' } };
  const host = {
    switchToHttp: () => ({ getResponse: () => res, getRequest: () => req }),
  } as unknown as ArgumentsHost;
  const error = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  try {
    new ErrorFilter().catch(exception, host);
    return { ...answer, errors: error.mock.calls.map(String), warnings: warn.mock.calls.map(String) };
  } finally {
    error.mockRestore();
    warn.mockRestore();
  }
}

describe('ErrorFilter', () => {
  it('writes an API error as it is', () => {
    expect(filter(new ApiError(409, 'VEHICLE_EXISTS', 'taken', { extra: 1 }))).toEqual({
      status: 409,
      body: { statusCode: 409, code: 'VEHICLE_EXISTS', message: 'taken', extra: 1 },
      errors: [],
      warnings: [],
    });
  });

  it("gives Nest's own exceptions the contract's shape and an upper-snake code", () => {
    expect(filter(new NotFoundException('Cannot GET /nowhere'))).toMatchObject({
      status: 404,
      body: { statusCode: 404, code: 'NOT_FOUND', message: 'Cannot GET /nowhere' },
    });
    expect(filter(new BadRequestException('Failed to decode param')).body).toEqual({
      statusCode: 400,
      code: 'BAD_REQUEST',
      message: 'Failed to decode param',
    });
  });

  it("answers a body parser's error that reaches it 413, without logging it", () => {
    const tooLarge = Object.assign(new Error('request entity too large'), {
      status: 413,
      expose: true,
      type: 'entity.too.large',
      limit: 102_400,
    });
    expect(filter(tooLarge)).toEqual({
      status: 413,
      body: {
        statusCode: 413,
        code: 'PAYLOAD_TOO_LARGE',
        message: 'the request body is larger than the limit of 102400 bytes',
      },
      errors: [],
      warnings: [],
    });
  });

  it.each([
    ['22021 (a NUL in a parameter)', queryFailed('22021', NUL_REFUSED)],
    ['22P05 (\\u0000 in json)', queryFailed('22P05', 'unsupported Unicode escape sequence')],
  ])('answers PostgreSQL refusing client text, %s, 400 with one warning and no stack', (_, err) => {
    const out = filter(err);
    expect(out).toMatchObject({
      status: 400,
      body: { statusCode: 400, code: 'VALIDATION_FAILED', message: expect.stringContaining('U+0000') },
      errors: [],
    });
    expect(out.warnings).toHaveLength(1);
    expect(out.warnings[0]).toContain('POST /api/v1/vehicles');
    expect(out.warnings[0]).not.toMatch(/\n\s+at /);
  });

  it.each([
    ['a unique violation (23505) that got past the service', queryFailed('23505', 'duplicate key')],
    ['a syntax error in SQL (42601)', queryFailed('42601', 'syntax error at or near "SELEC"')],
    [
      'a lost connection',
      Object.assign(new Error('Connection terminated unexpectedly'), { code: 'ECONNRESET' }),
    ],
    ['a programming error', new TypeError("Cannot read properties of undefined (reading 'id')")],
    ['something thrown that is not an error', 'boom'],
  ])('answers %s 500 INTERNAL_ERROR and logs it at ERROR', (_, err) => {
    const out = filter(err);
    expect(out).toMatchObject({
      status: 500,
      body: { statusCode: 500, code: 'INTERNAL_ERROR', message: 'internal error' },
      warnings: [],
    });
    expect(out.errors).toHaveLength(1);
  });
});

describe('unstorableTextError', () => {
  it('finds the SQLSTATE on the error or on its driver error', () => {
    expect(unstorableTextError(queryFailed('22021', NUL_REFUSED))?.getStatus()).toBe(400);
    expect(unstorableTextError({ driverError: { code: '22021' } })?.getStatus()).toBe(400);
    expect(unstorableTextError({ code: '22P05' })?.getStatus()).toBe(400);
  });

  it('leaves every other error alone', () => {
    for (const err of [
      queryFailed('22P02', 'invalid input syntax for type uuid'),
      { code: 22021 },
      null,
      'x',
    ])
      expect(unstorableTextError(err)).toBeUndefined();
  });
});

describe('ErrorFilter on 429', () => {
  /** The status, body and headers the filter answers `exception` with, on a response with `headers` set. */
  function answer429(exception: unknown, headers: Record<string, string> = {}) {
    const set = new Map(Object.entries(headers));
    const out: { status?: number; body?: unknown } = {};
    const res = {
      setHeader: (name: string, value: unknown) => set.set(name.toLowerCase(), String(value)),
      getHeader: (name: string) => set.get(name.toLowerCase()),
      getHeaderNames: () => [...set.keys()],
      status(status: number) {
        out.status = status;
        return this;
      },
      json(body: unknown) {
        out.body = body;
        return this;
      },
    };
    const host = { switchToHttp: () => ({ getResponse: () => res, getRequest: () => ({}) }) };
    new ErrorFilter().catch(exception, host as unknown as ArgumentsHost);
    return { ...out, retryAfter: set.get('retry-after') };
  }

  it("sends the error's wait as the standard Retry-After, and keeps the error shape", () => {
    expect(answer429(new ApiError(429, 'TOO_MANY_REQUESTS', 'slow down', {}, 12.2))).toEqual({
      status: 429,
      body: { statusCode: 429, code: 'TOO_MANY_REQUESTS', message: 'slow down' },
      retryAfter: '13',
    });
  });

  it('takes the wait a plain ThrottlerGuard set as Retry-After-<name>, or a minute, so no 429 lacks one', () => {
    const plain = new HttpException('ThrottlerException: Too Many Requests', 429);
    expect(answer429(plain, { 'retry-after-auth': '7', 'retry-after-writes': '31' })).toMatchObject({
      body: { statusCode: 429, code: 'TOO_MANY_REQUESTS' },
      retryAfter: '31',
    });
    expect(answer429(plain).retryAfter).toBe('60');
  });
});
