import { RejectReason, TelemetrySample } from '@fleet/contracts';
import { impliedSpeedKmh, TimedFix } from '@fleet/geo';

export interface ScreenOptions {
  nowMs: number;
  /** How far ahead of `nowMs` a fix time may be. */
  maxFutureMs: number;
  maxImpliedSpeedKmh: number;
}

export interface ScreenedSample {
  sample: TelemetrySample;
  reason: RejectReason;
  details: string;
}

export interface ScreenResult {
  accepted: TelemetrySample[];
  rejected: ScreenedSample[];
  /** Samples repeated within the batch (same vehicle and seq, or same vehicle and fix time). */
  duplicates: number;
}

/**
 * The plausibility filters of a batch, pure: unknown vehicle, fix time in the future, repeats inside
 * the batch, and an implied speed above the limit from the last accepted fix. `lastFixes` holds each
 * known vehicle's latest accepted fix (null before its first); vehicles absent from it are unknown.
 * Samples older than a vehicle's latest fix are late uploads: history only, no speed check.
 */
export function screenSamples(
  samples: readonly TelemetrySample[],
  lastFixes: ReadonlyMap<string, TimedFix | null>,
  options: ScreenOptions,
): ScreenResult {
  const result: ScreenResult = { accepted: [], rejected: [], duplicates: 0 };
  const seen = new Set<string>();
  const byVehicle = new Map<string, TelemetrySample[]>();

  for (const sample of samples) {
    if (!lastFixes.has(sample.vehicleId)) {
      result.rejected.push({
        sample,
        reason: RejectReason.UnknownVehicle,
        details: `no vehicle ${sample.vehicleId} is registered`,
      });
      continue;
    }
    if (sample.tsMs > options.nowMs + options.maxFutureMs) {
      const aheadS = Math.round((sample.tsMs - options.nowMs) / 1000);
      result.rejected.push({
        sample,
        reason: RejectReason.FutureTimestamp,
        details: `fix time is ${aheadS} s ahead of the server clock (limit ${options.maxFutureMs / 1000} s)`,
      });
      continue;
    }
    const tsKey = `${sample.vehicleId}@${sample.tsMs}`;
    const seqKey = sample.seq === null ? null : `${sample.vehicleId}#${sample.seq}`;
    if (seen.has(tsKey) || (seqKey !== null && seen.has(seqKey))) {
      result.duplicates++;
      continue;
    }
    seen.add(tsKey);
    if (seqKey !== null) seen.add(seqKey);
    const list = byVehicle.get(sample.vehicleId);
    if (list) list.push(sample);
    else byVehicle.set(sample.vehicleId, [sample]);
  }

  for (const [vehicleId, list] of byVehicle) {
    let last = lastFixes.get(vehicleId) ?? null;
    list.sort((a, b) => a.tsMs - b.tsMs);
    for (const sample of list) {
      if (last !== null && sample.tsMs > last.tsMs) {
        const speed = impliedSpeedKmh(last, sample);
        if (speed > options.maxImpliedSpeedKmh) {
          result.rejected.push({
            sample,
            reason: RejectReason.ImplausibleSpeed,
            details: `implied speed ${Math.round(speed)} km/h from the last accepted fix (limit ${options.maxImpliedSpeedKmh} km/h)`,
          });
          continue;
        }
      }
      if (last === null || sample.tsMs > last.tsMs) last = sample;
      result.accepted.push(sample);
    }
  }
  return result;
}
