import { ValidateBy, ValidationArguments, ValidationOptions } from 'class-validator';

/** ISO 8601 date-time with an explicit offset (`Z` or `+hh:mm`). */
const ISO_WITH_OFFSET =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-](\d{2}):?(\d{2}))$/;

/** Milliseconds since the epoch of a contract time (ISO 8601 with offset, or epoch ms), or NaN. */
export function fixTimeMs(value: unknown): number {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : NaN;
  if (typeof value !== 'string') return NaN;
  const m = ISO_WITH_OFFSET.exec(value);
  if (!m) return NaN;
  const [year, month, day, hour, minute, second = 0, offH = 0, offM = 0] = m
    .slice(1)
    .map((g) => (g === undefined ? undefined : Number(g))) as number[];
  // Date.parse rolls impossible dates over (Feb 30 -> Mar 2); a car's clock saying so is broken.
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth) return NaN;
  if (hour > 23 || minute > 59 || second > 59 || offH > 23 || offM > 59) return NaN;
  const ms = Date.parse(value);
  return ms >= 0 ? ms : NaN;
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
