import fc from 'fast-check';
import { parse } from 'node:querystring';
import { RequestValidationPipe } from '../common/validation';
import { isNearbyRequest, plainNearbySearch } from './nearby-fast-path';
import { NearbyQuery } from './nearby.controller';

/** What the route makes of a query string: Express's parser, then the app's validation pipe. */
async function routeSearch(query: string): Promise<NearbyQuery | 'refused'> {
  try {
    return (await new RequestValidationPipe().transform(parse(query), {
      type: 'query',
      metatype: NearbyQuery,
    })) as NearbyQuery;
  } catch {
    return 'refused';
  }
}

describe('plainNearbySearch', () => {
  it('reads a plain search, with the contract defaults for radius and limit', () => {
    expect(plainNearbySearch('lat=52.5219&lon=13.4132')).toEqual({
      lat: 52.5219,
      lon: 13.4132,
      radius: 1000,
      limit: 20,
    });
    expect(plainNearbySearch('limit=5&lon=-0.1&radius=250&lat=-33.9')).toEqual({
      lat: -33.9,
      lon: -0.1,
      radius: 250,
      limit: 5,
    });
    expect(plainNearbySearch('lat=90&lon=-180&radius=5000&limit=100')).toEqual({
      lat: 90,
      lon: -180,
      radius: 5000,
      limit: 100,
    });
  });

  it.each([
    ['no longitude', 'lat=52.5'],
    ['an empty query', ''],
    ['a latitude out of range', 'lat=90.5&lon=13'],
    ['a longitude out of range', 'lat=52&lon=180.01'],
    ['radius 0', 'lat=52&lon=13&radius=0'],
    ['radius 5001', 'lat=52&lon=13&radius=5001'],
    ['limit 101', 'lat=52&lon=13&limit=101'],
    ['a fractional radius', 'lat=52&lon=13&radius=10.5'],
    ['a repeated field', 'lat=52&lat=53&lon=13'],
    ['an unknown field', 'lat=52&lon=13&sort=price'],
    ['an exponent', 'lat=5.2e1&lon=13'],
    ['a plus sign', 'lat=%2B52&lon=13'],
    ['percent-encoding', 'lat=52%2E5&lon=13'],
    ['an empty value', 'lat=&lon=13'],
    ['a field without a value', 'lat=52&lon'],
    ['an empty pair', 'lat=52&&lon=13'],
    ['a trailing &', 'lat=52&lon=13&'],
  ])('leaves %s to the route', (_, query) => {
    expect(plainNearbySearch(query)).toBeUndefined();
  });

  /** Any value: near and across every boundary, plainly written or not. */
  const anyValue = fc.oneof(
    fc.double({ min: -200, max: 200, noNaN: true }).map(String),
    fc.integer({ min: -10, max: 6000 }).map(String),
    fc.constantFrom(
      '90',
      '90.0000001',
      '-90',
      '180',
      '-180.0',
      '180.01',
      '1',
      '5000',
      '5001',
      '100',
      '101',
      '0.5',
    ),
    fc.constantFrom(
      '',
      '0',
      '-0',
      '00052.5',
      '1e3',
      '+5',
      ' 5',
      '0x10',
      'NaN',
      'Infinity',
      '5.',
      '.5',
      '%35',
      '5%00',
    ),
    fc.string({ maxLength: 6 }),
  );
  /** Mostly values of the field's kind, so that many queries are plain. */
  const field = (likely: fc.Arbitrary<string>) =>
    fc.oneof({ arbitrary: likely, weight: 3 }, { arbitrary: anyValue, weight: 1 });
  const degrees = (max: number) =>
    fc.integer({ min: -max * 1100, max: max * 1100 }).map((n) => String(n / 1000));
  const count = (max: number) => fc.integer({ min: 0, max: max + 1 }).map(String);
  /** lat and lon mostly there, radius and limit sometimes, now and then an extra field; any order. */
  const query = fc
    .tuple(
      fc.record(
        {
          lat: field(degrees(90)),
          lon: field(degrees(180)),
          radius: field(count(5000)),
          limit: field(count(100)),
        },
        { requiredKeys: ['lat', 'lon'] },
      ),
      fc.oneof(
        { arbitrary: fc.constant([]), weight: 4 },
        {
          arbitrary: fc.tuple(fc.constantFrom('lat', 'limit', 'Lat', 'x', ''), anyValue).map((p) => [p]),
          weight: 1,
        },
      ),
      fc.integer(),
    )
    .map(([fields, extra, seed]) => {
      const pairs = [...Object.entries(fields), ...extra];
      pairs.sort(() => ((seed = (seed * 1_103_515_245 + 12_345) | 0) & 1 ? 1 : -1));
      return pairs.map(([k, v]) => `${k}=${v}`).join('&') + (Math.abs(seed) % 9 === 0 ? '&lat' : '');
    });

  it('never answers a search the route refuses, and reads every one it answers as the route does', async () => {
    let answered = 0;
    await fc.assert(
      fc.asyncProperty(query, async (q) => {
        const plain = plainNearbySearch(q);
        if (plain === undefined) return;
        answered++;
        const route = await routeSearch(q);
        expect(route).not.toBe('refused');
        expect({ ...(route as NearbyQuery) }).toEqual(plain);
      }),
      { numRuns: 3000 },
    );
    expect(answered).toBeGreaterThan(300); // the generator reaches the plain case often
  });

  it('answers every plainly written valid search itself, read as the route reads it', async () => {
    const valid = fc
      .record({
        lat: fc.double({ min: -90, max: 90, noNaN: true, noDefaultInfinity: true }),
        lon: fc.double({ min: -180, max: 180, noNaN: true, noDefaultInfinity: true }),
        radius: fc.integer({ min: 1, max: 5000 }),
        limit: fc.integer({ min: 1, max: 100 }),
      })
      .map((s) => ({
        ...s,
        lat: Math.round(s.lat * 1e6) / 1e6 || 0,
        lon: Math.round(s.lon * 1e6) / 1e6 || 0,
      }));
    await fc.assert(
      fc.asyncProperty(valid, async (s) => {
        const q = `lat=${s.lat}&lon=${s.lon}&radius=${s.radius}&limit=${s.limit}`;
        expect(plainNearbySearch(q)).toEqual(s);
        expect({ ...((await routeSearch(q)) as NearbyQuery) }).toEqual(s);
      }),
    );
  });
});

describe('isNearbyRequest', () => {
  it.each([
    ['GET', '/api/v1/vehicles/nearby?lat=52.5&lon=13.4'],
    ['GET', '/api/v1/vehicles/nearby'],
    ['HEAD', '/api/v1/vehicles/nearby?lat=52.5&lon=13.4'],
    ['GET', '/API/V1/Vehicles/Nearby?lat=52.5&lon=13.4'],
    ['GET', '/api/v1/vehicles/nearby/?lat=52.5&lon=13.4'],
  ])('counts %s %s, which Express routes to the nearby search', (method, url) => {
    expect(isNearbyRequest(method, url)).toBe(true);
  });

  it.each([
    ['POST', '/api/v1/vehicles/nearby?lat=52.5&lon=13.4'],
    ['OPTIONS', '/api/v1/vehicles/nearby?lat=52.5&lon=13.4'],
    ['GET', '/api/v1/vehicles/nearbyx?lat=52.5'],
    ['GET', '/api/v1/vehicles'],
    ['GET', '/api/v1/zones?near=/api/v1/vehicles/nearby'],
  ])('leaves %s %s alone', (method, url) => {
    expect(isNearbyRequest(method, url)).toBe(false);
  });
});
