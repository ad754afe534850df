import { validateSync, ValidationError } from 'class-validator';
import { fixTimeMs } from './fix-time';
import { RejectReason } from './reject-reason';
import { plainlyValidSample } from './sample-fast-path';
import { TELEMETRY_SAMPLE_FIELDS, TelemetrySample, TelemetrySampleDto } from './telemetry-sample';

export interface TelemetryLimits {
  /** Largest accepted payload in bytes (contract: 256 KiB). */
  maxPayloadBytes: number;
  /** Most samples in one array message (contract: 1000). */
  maxSamplesPerMessage: number;
}

export const DEFAULT_TELEMETRY_LIMITS: TelemetryLimits = {
  maxPayloadBytes: 256 * 1024,
  maxSamplesPerMessage: 1000,
};

/** Something that goes to quarantine: a whole message, or one sample of an array (`sampleIndex`). */
export interface TelemetryReject {
  reason: RejectReason;
  details: string;
  /** The offending bytes: the whole payload, or the one sample re-serialised. */
  raw: Buffer;
  sampleIndex: number | null;
}

export interface ParsedTelemetry {
  samples: TelemetrySample[];
  /** Each sample's index in the message's array (null for a single-object message). */
  sampleIndexes: (number | null)[];
  rejects: TelemetryReject[];
}

const wholeMessage = (reason: RejectReason, details: string, raw: Buffer): ParsedTelemetry => ({
  samples: [],
  sampleIndexes: [],
  rejects: [{ reason, details, raw, sampleIndex: null }],
});

/**
 * Parses and validates one telemetry payload of a vehicle: one sample object or an array of them.
 * Never throws: every problem becomes a reject with its reason; valid samples of an array survive
 * the invalid ones beside them.
 */
export function parseTelemetryPayload(
  vehicleId: string,
  payload: Buffer,
  limits: TelemetryLimits = DEFAULT_TELEMETRY_LIMITS,
): ParsedTelemetry {
  if (payload.length > limits.maxPayloadBytes) {
    return wholeMessage(
      RejectReason.PayloadTooLarge,
      `payload is ${payload.length} bytes, the limit is ${limits.maxPayloadBytes}`,
      payload,
    );
  }
  if (payload.includes(0)) {
    return wholeMessage(RejectReason.SchemaViolation, 'payload contains a NUL byte', payload);
  }
  let body: unknown;
  try {
    body = JSON.parse(payload.toString('utf8'));
  } catch (err) {
    return wholeMessage(
      RejectReason.MalformedJson,
      wellFormedText((err as Error).message.slice(0, 200)),
      payload,
    );
  }
  if (!Array.isArray(body)) return validateOne(vehicleId, body, null, payload);

  if (body.length === 0 || body.length > limits.maxSamplesPerMessage) {
    return wholeMessage(
      RejectReason.BatchSize,
      `an array message holds 1 to ${limits.maxSamplesPerMessage} samples, this one has ${body.length}`,
      payload,
    );
  }
  const result: ParsedTelemetry = { samples: [], sampleIndexes: [], rejects: [] };
  body.forEach((item: unknown, index) => {
    const one = validateOne(vehicleId, item, index, null);
    result.samples.push(...one.samples);
    result.sampleIndexes.push(...one.sampleIndexes);
    result.rejects.push(...one.rejects);
  });
  return result;
}

function validateOne(
  vehicleId: string,
  item: unknown,
  index: number | null,
  raw: Buffer | null,
): ParsedTelemetry {
  const rawOf = () => raw ?? Buffer.from(safeStringify(item));
  if (typeof item !== 'object' || item === null || Array.isArray(item)) {
    return {
      samples: [],
      sampleIndexes: [],
      rejects: [
        {
          reason: RejectReason.SchemaViolation,
          details: 'a sample must be a JSON object',
          raw: rawOf(),
          sampleIndex: index,
        },
      ],
    };
  }
  const source = item as Record<string, unknown>;
  if (plainlyValidSample(source) && !containsNul(source)) {
    return {
      samples: [toSample(vehicleId, source as unknown as TelemetrySampleDto)],
      sampleIndexes: [index],
      rejects: [],
    };
  }
  const dto = sampleDto(source);
  const problems = describeErrors(validateSync(dto, { forbidUnknownValues: false }));
  if (containsNul(source)) problems.push('a string contains a NUL character');
  if (problems.length > 0) {
    return {
      samples: [],
      sampleIndexes: [],
      rejects: [
        {
          reason: RejectReason.SchemaViolation,
          details: problems.join('; '),
          raw: rawOf(),
          sampleIndex: index,
        },
      ],
    };
  }
  return { samples: [toSample(vehicleId, dto)], sampleIndexes: [index], rejects: [] };
}

/** The contract's fields of a parsed sample as a TelemetrySampleDto, for class-validator. */
export function sampleDto(source: Record<string, unknown>): TelemetrySampleDto {
  const dto = new TelemetrySampleDto();
  for (const field of TELEMETRY_SAMPLE_FIELDS) {
    if (source[field] !== undefined) (dto as unknown as Record<string, unknown>)[field] = source[field];
  }
  return dto;
}

function toSample(vehicleId: string, dto: TelemetrySampleDto): TelemetrySample {
  return {
    vehicleId,
    tsMs: fixTimeMs(dto.ts),
    seq: dto.seq ?? null,
    lat: dto.lat,
    lon: dto.lon,
    accuracyM: dto.accuracyM ?? null,
    headingDeg: dto.heading ?? null,
    speedKmh: dto.speedKmh ?? null,
    odometerKm: dto.odometerKm ?? null,
    rangeKm: dto.rangeKm ?? null,
    fuelPct: dto.fuelPct ?? null,
    batteryPct: dto.batteryPct ?? null,
    locked: dto.locked,
    ignition: dto.ignition ?? null,
    doorsClosed: dto.doorsClosed ?? null,
  };
}

/** `field: problem` lines of class-validator errors. */
export function describeErrors(errors: ValidationError[]): string[] {
  return errors.flatMap((e) =>
    Object.values(e.constraints ?? {}).map((msg) =>
      msg.startsWith(e.property) ? msg : `${e.property}: ${msg}`,
    ),
  );
}

/** A UTF-16 surrogate without its other half: no Unicode character; PostgreSQL json refuses it. */
export const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * `text` with every lone UTF-16 surrogate replaced by U+FFFD. JSON.parse's messages quote one code
 * unit of the offending character (half of an emoji), which PostgreSQL text and json refuse.
 */
export function wellFormedText(text: string): string {
  return text.replace(new RegExp(LONE_SURROGATE.source, 'g'), '\ufffd');
}

/** True when any string key or value, at any depth, holds U+0000 (PostgreSQL text cannot store it). */
function containsNul(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (typeof value !== 'object' || value === null || depth > 64) return false;
  for (const [k, v] of Object.entries(value)) {
    if (k.includes('\u0000') || containsNul(v, depth + 1)) return true;
  }
  return false;
}

function safeStringify(value: unknown): string {
  try {
    return JSON.stringify(value) ?? 'null';
  } catch {
    // Too deeply nested to serialise again (JSON.parse is iterative, JSON.stringify is not).
    return '"<sample too deeply nested to keep>"';
  }
}
