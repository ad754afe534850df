import { ArgumentMetadata } from '@nestjs/common';
import { IsString, MaxLength } from 'class-validator';
import { ApiError } from './api-error';
import { RequestValidationPipe, textProblems, unstorableText } from './validation';

const NUL = '\u0000';
const NUL_PROBLEM = 'must not contain the NUL character (U+0000)';

describe('unstorableText', () => {
  it.each([
    ['a NUL character', `a${NUL}b`, NUL_PROBLEM],
    ['only a NUL character', NUL, NUL_PROBLEM],
    ['an unpaired high surrogate', 'B\ud800', 'must not contain an unpaired UTF-16 surrogate'],
    ['an unpaired low surrogate', '\udc00B', 'must not contain an unpaired UTF-16 surrogate'],
    ['two high surrogates', '\ud800\ud800\udc00', 'must not contain an unpaired UTF-16 surrogate'],
  ])('refuses %s', (_, text, problem) => {
    expect(unstorableText(text)).toBe(problem);
  });

  it.each([
    ['an empty string', ''],
    ['plain ASCII', 'B-FL 1001'],
    ['letters outside ASCII', 'Zoë Müller, Łódź'],
    ['a character outside the BMP (a surrogate pair)', 'car 🚗'],
    ['other control characters PostgreSQL stores', 'tab\there, bell \u0007, \u001f'],
    ['the text "\\u0000" itself', '\\u0000'],
  ])('accepts %s', (_, text) => {
    expect(unstorableText(text)).toBeUndefined();
  });
});

describe('textProblems', () => {
  it('names nothing in a body without such text, whatever its values', () => {
    expect(textProblems({ a: 'x', b: 1, c: null, d: true, e: [1, 'y', { f: 'z' }], g: {} })).toEqual([]);
    expect(textProblems(undefined)).toEqual([]);
    expect(textProblems(42, 'limit')).toEqual([]);
  });

  it('names nested fields as a.b and array items by index, in document order', () => {
    expect(
      textProblems({
        name: `a${NUL}`,
        geometry: { type: 'Polygon', crs: { name: NUL } },
        tags: ['ok', `x${NUL}`],
        plate: 'B\ud800',
      }),
    ).toEqual([
      { field: 'name', problems: [NUL_PROBLEM] },
      { field: 'geometry.crs.name', problems: [NUL_PROBLEM] },
      { field: 'tags.1', problems: [NUL_PROBLEM] },
      { field: 'plate', problems: ['must not contain an unpaired UTF-16 surrogate'] },
    ]);
  });

  it('names a property whose name cannot be stored, and not its value again', () => {
    expect(textProblems({ [`x${NUL}`]: NUL, y: 'ok' })).toEqual([
      { field: `x${NUL}`, problems: [`property name ${NUL_PROBLEM}`] },
    ]);
  });

  it('names a single query parameter by its name', () => {
    expect(textProblems(NUL, 'after')).toEqual([{ field: 'after', problems: [NUL_PROBLEM] }]);
  });

  it('names at most 20 fields', () => {
    const problems = textProblems(Array.from({ length: 5000 }, () => NUL));
    expect(problems).toHaveLength(20);
    expect(problems[0].field).toBe('0');
    expect(problems[19].field).toBe('19');
  });

  it('walks a body nested deeper than the call stack would allow', () => {
    let deep: unknown = NUL;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(textProblems(deep)).toEqual([
      { field: Array(100_000).fill('0').join('.'), problems: [NUL_PROBLEM] },
    ]);
  });
});

class NameDto {
  @IsString()
  @MaxLength(5)
  name!: string;
}

describe('RequestValidationPipe', () => {
  const pipe = new RequestValidationPipe();
  const body: ArgumentMetadata = { type: 'body', metatype: NameDto };

  /** The answer of a refused transform: status and body. */
  async function refusal(value: unknown, metadata: ArgumentMetadata) {
    const err = await pipe.transform(value, metadata).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ApiError);
    return { status: (err as ApiError).getStatus(), body: (err as ApiError).getResponse() };
  }

  it('refuses a NUL character in a body: 400 VALIDATION_FAILED naming the field', async () => {
    expect(await refusal({ name: `a${NUL}` }, body)).toEqual({
      status: 400,
      body: {
        statusCode: 400,
        code: 'VALIDATION_FAILED',
        message: `name: ${NUL_PROBLEM}`,
        fields: [{ field: 'name', problems: [NUL_PROBLEM] }],
      },
    });
  });

  it('refuses such text before the DTO rules, so in a property the DTO does not know too', async () => {
    expect((await refusal({ name: 'ok', [`x${NUL}`]: 1 }, body)).body).toMatchObject({
      code: 'VALIDATION_FAILED',
      fields: [{ field: `x${NUL}`, problems: [`property name ${NUL_PROBLEM}`] }],
    });
  });

  it('refuses a NUL character in a query, whole or one parameter', async () => {
    expect((await refusal({ after: NUL }, { type: 'query' })).body).toMatchObject({
      fields: [{ field: 'after', problems: [NUL_PROBLEM] }],
    });
    expect((await refusal(NUL, { type: 'query', data: 'after' })).body).toMatchObject({
      fields: [{ field: 'after', problems: [NUL_PROBLEM] }],
    });
  });

  it('still applies the DTO rules: unknown properties refused, constraints checked', async () => {
    expect((await refusal({ name: 'ok', role: 'operator' }, body)).body).toMatchObject({
      code: 'VALIDATION_FAILED',
      fields: [{ field: 'role', problems: ['property role should not exist'] }],
    });
    expect((await refusal({ name: 'too long' }, body)).body).toMatchObject({
      fields: [{ field: 'name', problems: ['name must be shorter than or equal to 5 characters'] }],
    });
    await expect(pipe.transform({ name: 'Zoë' }, body)).resolves.toEqual(
      Object.assign(new NameDto(), { name: 'Zoë' }),
    );
  });

  it('leaves path parameters to the resources (an impossible id is their 404)', async () => {
    await expect(pipe.transform(NUL, { type: 'param', data: 'id', metatype: String })).resolves.toBe(NUL);
  });
});
