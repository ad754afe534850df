import { trackFeature } from './track-feature';

describe('trackFeature', () => {
  const at = (s: number) => new Date(Date.UTC(2026, 10, 21, 8, 0, s));

  it('puts the fixes in a LineString as [lon, lat] with a timestamp each', () => {
    const f = trackFeature(
      [
        { lat: 52.52, lon: 13.4, at: at(0) },
        { lat: 52.53, lon: 13.41, at: at(5) },
      ],
      { vehicleId: 'car-1' },
    );
    expect(f).toEqual({
      type: 'Feature',
      geometry: {
        type: 'LineString',
        coordinates: [
          [13.4, 52.52],
          [13.41, 52.53],
        ],
      },
      properties: {
        vehicleId: 'car-1',
        timestamps: ['2026-11-21T08:00:00.000Z', '2026-11-21T08:00:05.000Z'],
      },
    });
  });

  it('has no geometry for fewer than two fixes', () => {
    expect(trackFeature([], {}).geometry).toBeNull();
    const one = trackFeature([{ lat: 1, lon: 2, at: at(0) }], {});
    expect(one.geometry).toBeNull();
    expect(one.properties.timestamps).toHaveLength(1);
  });
});
