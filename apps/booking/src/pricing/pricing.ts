/** A tariff, in integer cents of `currency` (PRODUCT.md defaults in BookingConfig). */
export interface Tariff {
  currency: string;
  unlockCents: number;
  driveCentsPerMin: number;
  parkCentsPerMin: number;
  reservationCentsPerMin: number;
  /** Reservation minutes that cost nothing. */
  reservationFreeMin: number;
  /** Kilometres included in the price of a trip. */
  includedKm: number;
  centsPerKm: number;
  /** Most the time-based part (unlock, driving, parking, reservation) costs per started 24 hours. */
  dayCapCents: number;
}

/** What a trip used, as measured. */
export interface TripUsage {
  /** From the car's unlock to its lock at the end, in seconds. */
  durationS: number;
  /** Of which parked (locked for a stopover), in seconds. */
  parkedS: number;
  /** Time the car was reserved before the trip started, in seconds (0 for a direct start). */
  reservedS: number;
  distanceM: number;
}

export type PriceLineKind = 'unlock' | 'drive' | 'park' | 'reservation' | 'distance' | 'day_cap';

export interface PriceLine {
  kind: PriceLineKind;
  quantity: number;
  unitCents: number;
  amountCents: number;
}

export interface Price {
  currency: string;
  totalCents: number;
  lines: PriceLine[];
}

const DAY_S = 24 * 3600;

/** Minutes billed for a duration: every started minute counts, in whole minutes. */
export const billedMinutes = (seconds: number): number => Math.max(0, Math.ceil(seconds / 60 - 1e-9));

/**
 * The price of a trip: unlock fee, driving and parked minutes (each per started minute), reserved
 * minutes beyond the free ones, kilometres beyond the included ones (per started kilometre). The
 * time-based part is capped at `dayCapCents` per started 24 hours of trip, shown as a negative
 * `day_cap` line (quantity 1); kilometres are not capped. Lines with nothing to bill are left out, except unlock.
 * The lines always add up to `totalCents`.
 */
export function priceTrip(tariff: Tariff, usage: TripUsage): Price {
  const parkedS = Math.min(Math.max(0, usage.parkedS), Math.max(0, usage.durationS));
  const line = (kind: PriceLineKind, quantity: number, unitCents: number): PriceLine => ({
    kind,
    quantity,
    unitCents,
    amountCents: quantity * unitCents,
  });
  const timeLines = [
    line('unlock', 1, tariff.unlockCents),
    line('drive', billedMinutes(usage.durationS - parkedS), tariff.driveCentsPerMin),
    line('park', billedMinutes(parkedS), tariff.parkCentsPerMin),
    line(
      'reservation',
      Math.max(0, billedMinutes(usage.reservedS) - tariff.reservationFreeMin),
      tariff.reservationCentsPerMin,
    ),
  ];
  const lines = timeLines.filter((l) => l.kind === 'unlock' || l.quantity > 0);

  const timeCents = timeLines.reduce((sum, l) => sum + l.amountCents, 0);
  const days = Math.max(1, Math.ceil(Math.max(0, usage.durationS) / DAY_S - 1e-9));
  const capCents = days * tariff.dayCapCents;
  if (timeCents > capCents) lines.push(line('day_cap', 1, capCents - timeCents));

  const km = Math.ceil(Math.max(0, usage.distanceM) / 1000 - 1e-9);
  const extraKm = Math.max(0, km - tariff.includedKm);
  if (extraKm > 0) lines.push(line('distance', extraKm, tariff.centsPerKm));
  return { currency: tariff.currency, totalCents: lines.reduce((sum, l) => sum + l.amountCents, 0), lines };
}
