import { validateZoneGeometry } from '../../../../apps/booking/src/zones/zone-geometry';
import { DemoCity, flatDistanceM } from './demo-city';
import { seededRandom } from './demo-fleet';
import { demoVehicles } from './seed';

describe('the demo city (Berlin inside the Ringbahn)', () => {
  const city = DemoCity.berlin();

  it('bundles a business area and three no-parking zones that the zones API accepts', () => {
    expect(city.zones.map((z) => z.kind).sort()).toEqual([
      'business_area',
      'no_parking',
      'no_parking',
      'no_parking',
    ]);
    for (const zone of city.zones) expect(validateZoneGeometry(zone.geometry)).toMatchObject({ ok: true });
    // The area is a city's inner ring, about 10 x 9 km.
    const widthM = flatDistanceM({ lat: 52.52, lon: city.bbox.west }, { lat: 52.52, lon: city.bbox.east });
    expect(widthM).toBeGreaterThan(9_000);
    expect(widthM).toBeLessThan(15_000);
  });

  it('puts cars only where a trip may end, and routes them along corners inside the area', () => {
    const random = seededRandom(1);
    for (let i = 0; i < 300; i++) {
      const a = city.randomSpot(random);
      const b = city.randomSpot(random);
      expect(city.parkable(a)).toBe(true);
      const route = city.route(a, b, random);
      expect(route[route.length - 1]).toEqual(b);
      for (const corner of route) expect(city.inArea(corner)).toBe(true);
    }
    // A trip's destination: a parking spot at city-trip distance.
    let inRange = 0;
    for (let i = 0; i < 100; i++) {
      const from = city.randomSpot(random);
      const to = city.spotNear(from, 500, 3000, random);
      expect(city.parkable(to)).toBe(true);
      const d = flatDistanceM(from, to);
      if (d >= 499 && d <= 3001) inRange++;
    }
    expect(inRange).toBe(100);
    // Alexanderplatz is a no-parking zone inside the area.
    expect(city.inArea({ lat: 52.522, lon: 13.413 })).toBe(true);
    expect(city.parkable({ lat: 52.522, lon: 13.413 })).toBe(false);
  });

  it('has a fleet of two vehicle types, half electric', () => {
    const fleet = demoVehicles(500);
    expect(new Set(fleet.map((v) => v.id)).size).toBe(500);
    expect(fleet.filter((v) => v.propulsion === 'electric')).toHaveLength(250);
    expect(new Set(fleet.map((v) => v.vehicleTypeId))).toEqual(
      new Set(['compact-electric', 'compact-combustion']),
    );
  });
});
