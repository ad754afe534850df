import { gbfsProblems } from '@fleet/testing';
import { BookingConfig, tariffOf } from '../config/booking.config';
import {
  envelope,
  gbfsManifest,
  GbfsSettings,
  geofencingZones,
  pricingPlans,
  systemInformation,
  vehicleTypes,
} from './gbfs-feeds';

const SETTINGS: GbfsSettings = {
  systemId: 'fleet-berlin',
  systemName: 'Fleet Berlin',
  language: 'de',
  timezone: 'Europe/Berlin',
  contactEmail: 'opendata@fleet.example',
  ttlS: 30,
  tariff: tariffOf(new BookingConfig()), // PRODUCT.md's defaults
  defaultMaxRangeKm: { electric: 400, combustion: 700 },
};
const NOW = new Date('2026-11-21T16:00:00.123Z');
const wrap = <T>(data: T) => envelope(data, SETTINGS, NOW);
/** A vehicle_status entry as PostgreSQL writes it (gbfs-sql.ts). */
const VEHICLE = {
  vehicle_id: 'q7Zb0f3kQ2mW1xY9aB4cDw',
  lat: 52.52,
  lon: 13.405,
  is_reserved: false,
  is_disabled: false,
  vehicle_type_id: 'electric-vw-id-3',
  pricing_plan_id: 'standard',
  last_reported: '2026-11-21T15:59:30Z',
  current_fuel_percent: 0.8,
  current_range_meters: 310400,
};

describe('GBFS v3.0 feeds', () => {
  it('are each valid against GBFS v3.0 (MobilityData type checkers plus the schema rules)', async () => {
    const feeds = {
      gbfs: wrap(gbfsManifest('https://api.fleet.example/api/v1/gbfs')),
      system_information: wrap(systemInformation(SETTINGS)),
      vehicle_types: wrap(
        vehicleTypes(
          [
            { typeId: 'electric-vw-id-3', model: 'VW ID.3', propulsion: 'electric', maxRangeKm: 350 },
            { typeId: 'combustion-fiat-500', model: 'Fiat 500', propulsion: 'combustion', maxRangeKm: null },
          ],
          SETTINGS,
        ),
      ),
      // Built by PostgreSQL (gbfs-sql.ts); its feed is checked against the running service too.
      vehicle_status: wrap({ vehicles: [VEHICLE] }),
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
    const status = wrap({ vehicles: [VEHICLE] });
    const broken = {
      ...status,
      data: { vehicles: [{ ...status.data.vehicles[0], current_fuel_percent: 80 }] },
    };
    expect(await gbfsProblems('vehicle_status', broken)).toEqual([
      expect.stringContaining('current_fuel_percent'),
    ]);
    const types = wrap(
      vehicleTypes(
        [{ typeId: 'electric-x', model: 'X', propulsion: 'electric', maxRangeKm: null }],
        SETTINGS,
      ),
    );
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

  it('vehicle_types: one type per model and propulsion (ids from vehicleTypeIdSql), with the longer of the reported and the configured range', () => {
    const { vehicle_types } = vehicleTypes(
      [
        { typeId: 'electric-vw-id-3', model: 'VW ID.3', propulsion: 'electric', maxRangeKm: 455.5 },
        { typeId: 'combustion-fiat-500', model: 'Fiat 500', propulsion: 'combustion', maxRangeKm: 120 },
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
