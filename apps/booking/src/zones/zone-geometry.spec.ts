import { validateZoneGeometry } from './zone-geometry';

const square = [
  [13.3, 52.4],
  [13.5, 52.4],
  [13.5, 52.6],
  [13.3, 52.6],
  [13.3, 52.4],
];

describe('validateZoneGeometry', () => {
  it('accepts a closed Polygon and returns it as MultiPolygon coordinates', () => {
    expect(validateZoneGeometry({ type: 'Polygon', coordinates: [square] })).toEqual({
      ok: true,
      coordinates: [[square]],
    });
  });

  it('accepts a MultiPolygon and a polygon with a hole', () => {
    const hole = [
      [13.35, 52.45],
      [13.36, 52.45],
      [13.36, 52.46],
      [13.35, 52.45],
    ];
    expect(
      validateZoneGeometry({
        type: 'MultiPolygon',
        coordinates: [[square], [square.map(([x, y]) => [x + 1, y])]],
      }).ok,
    ).toBe(true);
    expect(validateZoneGeometry({ type: 'Polygon', coordinates: [square, hole] }).ok).toBe(true);
  });

  it.each([
    ['not an object', null, 'GeoJSON object'],
    ['a Point', { type: 'Point', coordinates: [13, 52] }, 'Polygon or MultiPolygon'],
    ['no coordinates', { type: 'Polygon', coordinates: [] }, 'non-empty'],
    ['an open ring', { type: 'Polygon', coordinates: [square.slice(0, 4)] }, 'not closed'],
    [
      'too few positions',
      {
        type: 'Polygon',
        coordinates: [
          [
            [13, 52],
            [13.1, 52],
            [13, 52],
          ],
        ],
      },
      'at least 4',
    ],
    [
      'a latitude out of range',
      {
        type: 'Polygon',
        coordinates: [
          [
            [13, 95],
            [13.1, 52],
            [13.1, 52.1],
            [13, 95],
          ],
        ],
      },
      '-90..90',
    ],
    [
      'a string position',
      {
        type: 'Polygon',
        coordinates: [
          [
            ['13', 52],
            [13.1, 52],
            [13.1, 52.1],
            ['13', 52],
          ],
        ],
      },
      '[lon, lat]',
    ],
    [
      'a bow tie (self-intersection)',
      {
        type: 'Polygon',
        coordinates: [
          [
            [13.3, 52.4],
            [13.5, 52.6],
            [13.5, 52.4],
            [13.3, 52.6],
            [13.3, 52.4],
          ],
        ],
      },
      'intersects itself',
    ],
  ])('refuses %s', (_, geometry, problem) => {
    const result = validateZoneGeometry(geometry);
    expect(result.ok).toBe(false);
    expect(result.ok ? [] : result.problems.join(' | ')).toContain(problem);
  });
});
