import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { describeErrors, wellFormedText } from './parse-telemetry';
import { RejectReason } from './reject-reason';

export type ParsedMessage<T> =
  | { ok: true; value: T }
  | { ok: false; reason: RejectReason.MalformedJson | RejectReason.SchemaViolation; details: string };

/**
 * Parses a JSON payload into a validated instance of a contract class (status, command result).
 * Never throws: bad JSON is MALFORMED_JSON, anything else off the class's rules SCHEMA_VIOLATION.
 * `what` names the message in the details (`status must be a JSON object`).
 */
export function parseJsonMessage<T extends object>(
  cls: new () => T,
  payload: Buffer,
  what: string,
): ParsedMessage<T> {
  let body: unknown;
  try {
    body = JSON.parse(payload.toString('utf8'));
  } catch (err) {
    return { ok: false, reason: RejectReason.MalformedJson, details: wellFormedText((err as Error).message) };
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, reason: RejectReason.SchemaViolation, details: `${what} must be a JSON object` };
  }
  const value = plainToInstance(cls, body);
  const problems = describeErrors(validateSync(value));
  return problems.length
    ? { ok: false, reason: RejectReason.SchemaViolation, details: problems.join('; ') }
    : { ok: true, value };
}
