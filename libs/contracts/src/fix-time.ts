import { ValidateBy, ValidationArguments, ValidationOptions } from 'class-validator';

/** ISO 8601 date-time with an explicit offset (`Z` or `+hh:mm`). */
const ISO_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

/** Milliseconds since the epoch of a contract time (ISO 8601 with offset, or epoch ms), or NaN. */
export function fixTimeMs(value: unknown): number {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : NaN;
  if (typeof value === 'string' && ISO_WITH_OFFSET.test(value)) return Date.parse(value);
  return NaN;
}

/** class-validator rule for contract times (`ts`). */
export function IsFixTime(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isFixTime',
      validator: {
        validate: (value: unknown) => !Number.isNaN(fixTimeMs(value)),
        defaultMessage: (args?: ValidationArguments) =>
          `${args?.property ?? 'ts'} must be an ISO 8601 time with offset or epoch milliseconds`,
      },
    },
    options,
  );
}
