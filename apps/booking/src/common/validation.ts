import { LONE_SURROGATE } from '@fleet/contracts';
import { ArgumentMetadata, ValidationError, ValidationPipe } from '@nestjs/common';
import { ApiError } from './api-error';

/** A field of a request and what is wrong with it, as in a VALIDATION_FAILED answer. */
export interface FieldProblem {
  field: string;
  problems: string[];
}

/** Field problems of a failed validation, nested fields as `a.b`. */
export function fieldProblems(errors: ValidationError[], prefix = ''): FieldProblem[] {
  return errors.flatMap((e) => {
    const field = prefix ? `${prefix}.${e.property}` : e.property;
    const own = e.constraints ? [{ field, problems: Object.values(e.constraints) }] : [];
    return [...own, ...fieldProblems(e.children ?? [], field)];
  });
}

/** 400 VALIDATION_FAILED with the field problems (CONTRACT.md section 2). */
export function validationFailed(fields: FieldProblem[]): ApiError {
  return new ApiError(
    400,
    'VALIDATION_FAILED',
    fields.map((f) => `${f.field}: ${f.problems.join(', ')}`).join('; ') || 'invalid request',
    { fields },
  );
}

const NUL = '\u0000';

/**
 * Why PostgreSQL cannot store `text` as it is, or undefined when it can: a NUL character is refused
 * by every text column ("invalid byte sequence for encoding UTF8: 0x00"), a lone surrogate would be
 * replaced by U+FFFD.
 */
export function unstorableText(text: string): string | undefined {
  if (text.includes(NUL)) return 'must not contain the NUL character (U+0000)';
  if (LONE_SURROGATE.test(text)) return 'must not contain an unpaired UTF-16 surrogate';
  return undefined;
}

/** At most this many fields are named; a body full of NULs needs no answer as long as itself. */
const MAX_TEXT_PROBLEMS = 20;

/** Stands for a property with an unstorable name while walking; never part of a request. */
class NameProblem {
  constructor(readonly problem: string) {}
}

/**
 * The strings (values and property names) anywhere in a parsed body or query that PostgreSQL cannot
 * store, as field problems (`a.b`, array items `a.0`), in document order. Iterative, so a deeply
 * nested body cannot overflow the stack.
 */
export function textProblems(value: unknown, field = ''): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const pending: { path: string; item: unknown }[] = [{ path: field, item: value }];
  while (pending.length > 0 && problems.length < MAX_TEXT_PROBLEMS) {
    const { path, item } = pending.pop()!;
    if (typeof item === 'string') {
      const problem = unstorableText(item);
      if (problem) problems.push({ field: path, problems: [problem] });
    } else if (item instanceof NameProblem) {
      problems.push({ field: path, problems: [`property name ${item.problem}`] });
    } else if (typeof item === 'object' && item !== null) {
      const children: { path: string; item: unknown }[] = [];
      for (const [key, child] of Object.entries(item)) {
        const childPath = path ? `${path}.${key}` : key;
        const nameProblem = unstorableText(key);
        // A property name that cannot be stored is the problem, whatever its value: named in its place.
        if (nameProblem) children.push({ path: childPath, item: new NameProblem(nameProblem) });
        else children.push({ path: childPath, item: child });
      }
      pending.push(...children.reverse());
    }
  }
  return problems;
}

/**
 * Bodies and queries: text PostgreSQL cannot store refused first (whatever the DTO, so that no such
 * string reaches a query), then unknown properties refused and types converted; 400 VALIDATION_FAILED
 * with the fields. Path parameters are ids: each resource answers an id that cannot exist with 404.
 */
export class RequestValidationPipe extends ValidationPipe {
  constructor() {
    super({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      exceptionFactory: (errors) => validationFailed(fieldProblems(errors)),
    });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body' || metadata.type === 'query') {
      const problems = textProblems(value, metadata.data ?? '');
      if (problems.length > 0) throw validationFailed(problems);
    }
    return super.transform(value, metadata);
  }
}

/** A row id (uuid); anything else cannot name a row and is answered 404 without a query. */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
