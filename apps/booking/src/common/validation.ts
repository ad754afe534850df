import { ValidationError, ValidationPipe } from '@nestjs/common';
import { ApiError } from './api-error';

/** Field problems of a failed validation, nested fields as `a.b`. */
export function fieldProblems(
  errors: ValidationError[],
  prefix = '',
): { field: string; problems: string[] }[] {
  return errors.flatMap((e) => {
    const field = prefix ? `${prefix}.${e.property}` : e.property;
    const own = e.constraints ? [{ field, problems: Object.values(e.constraints) }] : [];
    return [...own, ...fieldProblems(e.children ?? [], field)];
  });
}

/** Bodies and queries: unknown properties refused, types converted, 400 VALIDATION_FAILED with the fields. */
export function validationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    exceptionFactory: (errors) => {
      const fields = fieldProblems(errors);
      return new ApiError(
        400,
        'VALIDATION_FAILED',
        fields.map((f) => `${f.field}: ${f.problems.join(', ')}`).join('; ') || 'invalid request',
        { fields },
      );
    },
  });
}

/** A row id (uuid); anything else cannot name a row and is answered 404 without a query. */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
