import { fixTimeMs } from './fix-time';

/** The optional numeric fields with their ranges, as TelemetrySampleDto states them. */
const OPTIONAL_NUMBERS: readonly (readonly [field: string, min: number, max: number])[] = [
  ['accuracyM', 0, Infinity],
  ['heading', 0, 360],
  ['speedKmh', 0, 400],
  ['odometerKm', 0, Infinity],
  ['rangeKm', 0, Infinity],
  ['fuelPct', 0, 100],
  ['batteryPct', 0, 100],
];

const inRange = (v: unknown, min: number, max: number): boolean =>
  typeof v === 'number' && Number.isFinite(v) && v >= min && v <= max;

/**
 * True when a parsed sample plainly meets every field rule of TelemetrySampleDto: a shortcut for the
 * hot path, where class-validator costs about 12 us a sample. It only ever says yes for what the DTO
 * accepts (a property test holds it to that); false means "ask class-validator", which gives the
 * verdict and the reasons. Absent optional fields must be absent, not null (null goes the long way).
 */
export function plainlyValidSample(s: Record<string, unknown>): boolean {
  const { lat, lon, seq } = s;
  if (Number.isNaN(fixTimeMs(s.ts))) return false;
  if (!inRange(lat, -90, 90) || !inRange(lon, -180, 180) || (lat === 0 && lon === 0)) return false;
  if (typeof s.locked !== 'boolean') return false;
  if (seq !== undefined && !(Number.isSafeInteger(seq) && (seq as number) >= 0)) return false;
  for (const [field, min, max] of OPTIONAL_NUMBERS) {
    const v = s[field];
    if (v !== undefined && !inRange(v, min, max)) return false;
  }
  return (
    (s.ignition === undefined || typeof s.ignition === 'boolean') &&
    (s.doorsClosed === undefined || typeof s.doorsClosed === 'boolean')
  );
}
