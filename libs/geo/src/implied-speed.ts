import { haversineDistanceM, LatLon } from './distance';

export interface TimedFix extends LatLon {
  tsMs: number;
}

/**
 * Speed in km/h a vehicle would need to get from one fix to the next. Time gaps under `minGapMs`
 * (default 1 s) count as `minGapMs`, so two fixes a few metres apart in the same second read as a
 * walking pace rather than infinity.
 */
export function impliedSpeedKmh(from: TimedFix, to: TimedFix, minGapMs = 1000): number {
  const gapMs = Math.max(Math.abs(to.tsMs - from.tsMs), minGapMs);
  return (haversineDistanceM(from, to) / (gapMs / 1000)) * 3.6;
}
