import { gbfsProblems } from '@fleet/testing';
import {
  envelope,
  GbfsCarRow,
  gbfsManifest,
  GbfsSettings,
  geofencingZones,
  pricingPlans,
  rotatingVehicleId,
  systemInformation,
  vehicleIdKey,
  vehicleStatus,
  vehicleTypeId,
  vehicleTypes,
} from './gbfs-feeds';

const SETTINGS: GbfsSettings = {
  systemId: 'fleet-berlin',
  systemName: 'Fleet Berlin',
  language: 'de',
  timezone: 'Europe/Berlin',
  contactEmail: 'opendata@fleet.example',
  ttlS: 30,
  tariff: {
    currency: 'EUR',
    unlockCents: 100,
    driveCentsPerMin: 29,
    parkCentsPerMin: 19,
    reservationCentsPerMin: 19,
    reservationFreeMin: 20,
    includedKm: 200,
    centsPerKm: 29,
    dayCapCents: 8900,
  },
  defaultMaxRangeKm: { electric: 400, combustion: 700 },
};
const NOW = new Date('2026-11-21T16:00:00.123Z');
const KEY = vehicleIdKey('a secret of ours');
const car = (over: Partial<GbfsCarRow> = {}): GbfsCarRow => ({
  id: 'B-FL-1001',
  model: 'VW ID.3',
  propulsion: 'electric',
  state: 'available',
  lat: 52.52,
  lon: 13.405,
  bookable: true,
  lastReportedAt: new Date('2026-11-21T15:59:30Z'),
  fuelPct: null,
  batteryPct: 80,
  rangeKm: 310.4,
  lastTripId: null,
  ...over,
});
const wrap = <T>(data: T) => envelope(data, SETTINGS, NOW);

describe('GBFS v3.0 feeds', () => {
  it('are each valid against GBFS v3.0 (MobilityData type checkers plus the schema rules)', async () => {
    const feeds = {
      gbfs: wrap(gbfsManifest('https://api.fleet.example/api/v1/gbfs')),
      system_information: wrap(systemInformation(SETTINGS)),
      vehicle_types: wrap(
        vehicleTypes(
          [
            { model: 'VW ID.3', propulsion: 'electric', maxRangeKm: 350 },
            { model: 'Fiat 500', propulsion: 'combustion', maxRangeKm: null },
          ],
          SETTINGS,
        ),
      ),
      vehicle_status: wrap(
        vehicleStatus(
          [
            car(),
            car({
              id: 'B-FL-1002',
              propulsion: 'combustion',
              model: 'Fiat 500',
              fuelPct: 40,
              batteryPct: null,
            }),
          ],
          KEY,
        ),
      ),
      geofencing_zones: wrap(
        geofencingZones(
          [
            {
              name: 'Berlin',
              kind: 'business_area',
              geometry: {
                type: 'MultiPolygon',
                coordinates: [
                  [
                    [
                      [13.3, 52.45],
                      [13.55, 52.45],
                      [13.55, 52.6],
                      [13.3, 52.45],
                    ],
                  ],
                ],
              },
            },
          ],
          SETTINGS,
        ),
      ),
      system_pricing_plans: wrap(pricingPlans(SETTINGS)),
    } as const;
    for (const [name, feed] of Object.entries(feeds)) {
      expect([name, await gbfsProblems(name as keyof typeof feeds, feed)]).toEqual([name, []]);
    }
    expect(feeds.gbfs.last_updated).toBe('2026-11-21T16:00:00Z');
    expect(feeds.gbfs.version).toBe('3.0');
  });

  it('finds what an invalid feed gets wrong (the checker is not a rubber stamp)', async () => {
    const status = wrap(vehicleStatus([car()], KEY));
    const broken = {
      ...status,
      data: { vehicles: [{ ...status.data.vehicles[0], current_fuel_percent: 80 }] },
    };
    expect(await gbfsProblems('vehicle_status', broken)).toEqual([
      expect.stringContaining('current_fuel_percent'),
    ]);
    const types = wrap(vehicleTypes([{ model: 'X', propulsion: 'electric', maxRangeKm: null }], SETTINGS));
    const noRange: Record<string, unknown> = { ...types.data.vehicle_types[0] };
    delete noRange.max_range_meters;
    expect(await gbfsProblems('vehicle_types', { ...types, data: { vehicle_types: [noRange] } })).toEqual([
      expect.stringContaining('max_range_meters'),
    ]);
    expect(
      await gbfsProblems('vehicle_types', {
        ...types,
        data: { vehicle_types: [{ ...noRange, form_factor: 'tank' }] },
      }),
    ).not.toEqual([]);
  });

  describe('vehicle_status', () => {
    it('gives each car a public id that holds between trips and changes after each, and never shows the car id', () => {
      const before = rotatingVehicleId(KEY, 'B-FL-1001', 'trip-1');
      expect(rotatingVehicleId(KEY, 'B-FL-1001', 'trip-1')).toBe(before);
      expect(rotatingVehicleId(KEY, 'B-FL-1001', 'trip-2')).not.toBe(before);
      expect(rotatingVehicleId(KEY, 'B-FL-1002', 'trip-1')).not.toBe(before);
      expect(rotatingVehicleId(vehicleIdKey('another secret'), 'B-FL-1001', 'trip-1')).not.toBe(before);
      const [listed] = vehicleStatus([car({ lastTripId: 'trip-1' })], KEY).vehicles;
      expect(listed.vehicle_id).toBe(before);
      expect(JSON.stringify(listed)).not.toContain('B-FL-1001');
    });

    it('marks reserved cars reserved, and cars that cannot be rented now disabled', () => {
      const [available, reserved, unbookable, maintenance] = [
        car({ id: 'a' }),
        car({ id: 'r', state: 'reserved', bookable: false }),
        car({ id: 'u', batteryPct: 5, bookable: false }),
        car({ id: 'm', state: 'non_operational', bookable: false }),
      ].map((c) => vehicleStatus([c], KEY).vehicles[0]);
      expect(available).toMatchObject({ is_reserved: false, is_disabled: false });
      expect(reserved).toMatchObject({ is_reserved: true, is_disabled: false });
      expect(unbookable).toMatchObject({ is_reserved: false, is_disabled: true, current_fuel_percent: 0.05 });
      expect(maintenance).toMatchObject({ is_reserved: false, is_disabled: true });
    });

    it('reports energy as a fraction, range in metres, the type and the plan; leaves out what is unknown', () => {
      const [v] = vehicleStatus([car()], KEY).vehicles;
      expect(v).toMatchObject({
        lat: 52.52,
        lon: 13.405,
        current_fuel_percent: 0.8,
        current_range_meters: 310_400,
        last_reported: '2026-11-21T15:59:30Z',
        vehicle_type_id: 'electric-vw-id-3',
        pricing_plan_id: 'standard',
      });
      const [unknown] = vehicleStatus(
        [car({ batteryPct: null, rangeKm: null, lastReportedAt: null })],
        KEY,
      ).vehicles;
      expect(unknown).not.toHaveProperty('current_fuel_percent');
      expect(unknown).not.toHaveProperty('current_range_meters');
      expect(unknown).not.toHaveProperty('last_reported');
    });

    it('lists cars by their public id, so that a place in the list does not follow a car across rotations', () => {
      const cars = Array.from({ length: 20 }, (_, i) => car({ id: `car-${i}` }));
      const ids = vehicleStatus(cars, KEY).vehicles.map((v) => v.vehicle_id);
      expect(ids).toEqual([...ids].sort());
    });
  });

  it('vehicle_types: one type per model and propulsion, with the longer of the reported and the configured range', () => {
    const { vehicle_types } = vehicleTypes(
      [
        { model: 'VW ID.3', propulsion: 'electric', maxRangeKm: 455.5 },
        { model: 'Fiat 500', propulsion: 'combustion', maxRangeKm: 120 },
      ],
      SETTINGS,
    );
    expect(vehicle_types).toEqual([
      expect.objectContaining({
        vehicle_type_id: 'electric-vw-id-3',
        form_factor: 'car',
        propulsion_type: 'electric',
        max_range_meters: 455_500,
      }),
      expect.objectContaining({
        vehicle_type_id: 'combustion-fiat-500',
        propulsion_type: 'combustion',
        max_range_meters: 700_000,
      }),
    ]);
    expect(vehicleTypeId('Škoda Enyaq iV', 'electric')).toBe('electric-skoda-enyaq-iv');
  });

  it('geofencing_zones: no trip ends in a no-parking zone (listed first, so it wins where zones overlap) or outside every business area', () => {
    const square = {
      type: 'MultiPolygon' as const,
      coordinates: [
        [
          [
            [0, 0],
            [1, 0],
            [1, 1],
            [0, 0],
          ],
        ],
      ],
    };
    const data = geofencingZones(
      [
        { name: 'City', kind: 'business_area', geometry: square },
        { name: 'Station forecourt', kind: 'no_parking', geometry: square },
      ],
      SETTINGS,
    );
    expect(
      data.geofencing_zones.features.map((f) => [
        f.properties.name[0].text,
        f.properties.rules[0].ride_end_allowed,
      ]),
    ).toEqual([
      ['Station forecourt', false],
      ['City', true],
    ]);
    expect(data.global_rules).toEqual([
      { ride_start_allowed: false, ride_end_allowed: false, ride_through_allowed: true },
    ]);
  });

  it('system_pricing_plans: the tariff in currency units, with what GBFS cannot express in the description', () => {
    const [plan] = pricingPlans(SETTINGS).plans;
    expect(plan).toMatchObject({
      plan_id: 'standard',
      currency: 'EUR',
      price: 1,
      per_min_pricing: [{ start: 0, rate: 0.29, interval: 1 }],
      per_km_pricing: [{ start: 200, rate: 0.29, interval: 1 }],
    });
    expect(plan.description[0].text).toContain('parked during a trip 0.19 EUR/min');
    expect(plan.description[0].text).toContain('capped at 89.00 EUR per 24 hours');
  });
});
