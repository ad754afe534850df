import { ApiError } from './api-error';
import { answerRequestBodyErrors, requestBodyError } from './request-body';

/** An error as body-parser raises it (through http-errors): a status, `expose` for 4xx, a type. */
function bodyParserError(
  status: number,
  type: string,
  message: string,
  extra: object = {},
  base = new Error(message),
) {
  return Object.assign(base, { status, statusCode: status, expose: status < 500, type, ...extra });
}

const answer = (err: ApiError | undefined) => err && { status: err.getStatus(), body: err.getResponse() };

describe('requestBodyError', () => {
  it('answers a body over the limit 413 PAYLOAD_TOO_LARGE, with the limit', () => {
    const err = bodyParserError(413, 'entity.too.large', 'request entity too large', {
      limit: 102_400,
      length: 200_052,
      expected: 200_052,
    });
    expect(answer(requestBodyError(err))).toEqual({
      status: 413,
      body: {
        statusCode: 413,
        code: 'PAYLOAD_TOO_LARGE',
        message: 'the request body is larger than the limit of 102400 bytes',
      },
    });
  });

  it('answers malformed JSON 400 MALFORMED_JSON with the parser message, not the body', () => {
    const message = "Expected property name or '}' in JSON at position 1";
    const err = bodyParserError(400, 'entity.parse.failed', message, { body: '{' }, new SyntaxError(message));
    expect(answer(requestBodyError(err))).toEqual({
      status: 400,
      body: {
        statusCode: 400,
        code: 'MALFORMED_JSON',
        message: `the request body is not valid JSON: ${message}`,
      },
    });
  });

  it.each([
    [415, 'charset.unsupported', 'unsupported charset "LATIN9"', 'UNSUPPORTED_MEDIA_TYPE'],
    [415, 'encoding.unsupported', 'unsupported content encoding "br2"', 'UNSUPPORTED_MEDIA_TYPE'],
    [413, 'parameters.too.many', 'too many parameters', 'PAYLOAD_TOO_LARGE'],
    [400, 'request.size.invalid', 'request size did not match content length', 'BAD_REQUEST'],
    [400, 'request.aborted', 'request aborted', 'BAD_REQUEST'],
  ])('answers the other client errors with their status: %d %s', (status, type, message, code) => {
    expect(answer(requestBodyError(bodyParserError(status, type, message)))).toEqual({
      status,
      body: { statusCode: status, code, message },
    });
  });

  it.each([
    [
      'a server error of the parser',
      bodyParserError(500, 'stream.encoding.set', 'stream encoding should not be set'),
    ],
    ['an error without a type', Object.assign(new Error('x'), { status: 400, expose: true })],
    ['an error without a status', Object.assign(new TypeError('x'), { type: 'entity.parse.failed' })],
    [
      'a 4xx not marked for the client',
      Object.assign(new Error('x'), { status: 400, type: 'x', expose: false }),
    ],
    ['a plain error', new Error('boom')],
    ['not an error', 'boom'],
    ['null', null],
  ])('leaves alone %s', (_, err) => {
    expect(requestBodyError(err)).toBeUndefined();
  });
});

describe('answerRequestBodyErrors', () => {
  const req = {} as never;
  const res = {} as never;

  it("passes a body parser's error on as the API error", () => {
    const next = jest.fn();
    answerRequestBodyErrors(
      bodyParserError(413, 'entity.too.large', 'request entity too large'),
      req,
      res,
      next,
    );
    expect(next).toHaveBeenCalledWith(expect.any(ApiError));
    expect((next.mock.calls[0] as [ApiError])[0].code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('passes any other error on as it is', () => {
    const next = jest.fn();
    const err = new Error('boom');
    answerRequestBodyErrors(err, req, res, next);
    expect(next).toHaveBeenCalledWith(err);
  });
});
