import { billedMinutes, Price, priceTrip, Tariff, TripUsage } from './pricing';

/** PRODUCT.md's defaults. */
const tariff: Tariff = {
  currency: 'EUR',
  unlockCents: 100,
  driveCentsPerMin: 29,
  parkCentsPerMin: 19,
  reservationCentsPerMin: 19,
  reservationFreeMin: 20,
  includedKm: 200,
  centsPerKm: 29,
  dayCapCents: 8900,
};

const MIN = 60;
const HOUR = 3600;
const usage = (u: Partial<TripUsage>): TripUsage => ({
  durationS: 0,
  parkedS: 0,
  reservedS: 0,
  distanceM: 0,
  ...u,
});
const amounts = (p: Price) => Object.fromEntries(p.lines.map((l) => [l.kind, l.amountCents]));

describe('priceTrip', () => {
  it.each<[string, Partial<TripUsage>, number, Record<string, number>]>([
    ['unlock only, zero duration', {}, 100, { unlock: 100 }],
    ['10 minutes driving', { durationS: 10 * MIN }, 100 + 290, { unlock: 100, drive: 290 }],
    ['a started minute counts: 10 min 1 s', { durationS: 10 * MIN + 1 }, 100 + 11 * 29, { drive: 319 }],
    [
      '30 min, of which 12 parked',
      { durationS: 30 * MIN, parkedS: 12 * MIN },
      100 + 18 * 29 + 12 * 19,
      { drive: 522, park: 228 },
    ],
    ['reserved within the 20 free minutes', { durationS: 5 * MIN, reservedS: 19 * MIN }, 100 + 145, {}],
    [
      'reserved 25 minutes: 5 billed',
      { durationS: 5 * MIN, reservedS: 25 * MIN },
      100 + 145 + 5 * 19,
      { reservation: 95 },
    ],
    ['200 km included', { durationS: 3 * HOUR, distanceM: 200_000 }, 100 + 180 * 29, {}],
    [
      '250.3 km: 51 started km beyond the included',
      { durationS: 3 * HOUR, distanceM: 250_300 },
      100 + 180 * 29 + 51 * 29,
      { distance: 1479 },
    ],
    [
      'day cap: 6 hours driving costs 89.00',
      { durationS: 6 * HOUR },
      8900,
      { unlock: 100, drive: 360 * 29, day_cap: 8900 - 100 - 360 * 29 },
    ],
    [
      'day cap holds for parking too; kilometres beyond come on top',
      { durationS: 20 * HOUR, parkedS: 15 * HOUR, distanceM: 300_000 },
      8900 + 100 * 29,
      { day_cap: 8900 - (100 + 300 * 29 + 900 * 19), distance: 2900 },
    ],
    [
      'a second started day gets a second cap',
      { durationS: 30 * HOUR, parkedS: 28 * HOUR },
      2 * 8900,
      { day_cap: 2 * 8900 - (100 + 120 * 29 + 1680 * 19) },
    ],
    [
      'just under the cap is not capped',
      { durationS: 303 * MIN },
      100 + 303 * 29,
      { unlock: 100, drive: 8787 },
    ],
  ])('%s', (_name, u, totalCents, expected) => {
    const price = priceTrip(tariff, usage(u));
    expect(price.currency).toBe('EUR');
    expect(price.totalCents).toBe(totalCents);
    expect(amounts(price)).toMatchObject(expected);
    expect(price.lines.reduce((s, l) => s + l.amountCents, 0)).toBe(price.totalCents);
    for (const l of price.lines) expect(l.amountCents).toBe(l.quantity * l.unitCents);
  });

  it('shows each line with its quantity and unit price', () => {
    expect(priceTrip(tariff, usage({ durationS: 30 * MIN, parkedS: 10 * MIN })).lines).toEqual([
      { kind: 'unlock', quantity: 1, unitCents: 100, amountCents: 100 },
      { kind: 'drive', quantity: 20, unitCents: 29, amountCents: 580 },
      { kind: 'park', quantity: 10, unitCents: 19, amountCents: 190 },
    ]);
  });

  it('never bills parking beyond the trip or negative times', () => {
    const price = priceTrip(tariff, usage({ durationS: 5 * MIN, parkedS: 9 * MIN, reservedS: -5 }));
    expect(amounts(price)).toEqual({ unlock: 100, park: 95 });
  });
});

describe('billedMinutes', () => {
  it.each([
    [0, 0],
    [1, 1],
    [60, 1],
    [120, 2],
    [61, 2],
    [-30, 0],
  ])('%s s -> %s min', (s, min) => expect(billedMinutes(s)).toBe(min));
});
