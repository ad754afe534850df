import { BBox, bboxContains } from '@fleet/geo';

/** Berlin: [west, south, east, north]. */
const BERLIN: BBox = [13.0, 52.3, 13.8, 52.7];
/** Fiji and around: crosses the antimeridian (west > east). */
const PACIFIC: BBox = [170, -20, -170, 10];

describe('bboxContains', () => {
  it.each<[string, number, number, boolean]>([
    ['the centre', 52.5, 13.4, true],
    ['the west edge', 52.5, 13.0, true],
    ['the east edge', 52.5, 13.8, true],
    ['the south edge', 52.3, 13.4, true],
    ['the north edge', 52.7, 13.4, true],
    ['the south-west corner', 52.3, 13.0, true],
    ['the north-east corner', 52.7, 13.8, true],
    ['just west', 52.5, 12.9999, false],
    ['just east', 52.5, 13.8001, false],
    ['just south', 52.2999, 13.4, false],
    ['just north', 52.7001, 13.4, false],
    ['far away (Munich)', 48.14, 11.58, false],
    ['the mirror point in the southern hemisphere', -52.5, 13.4, false],
  ])('Berlin box: %s (%s, %s) -> %s', (_name, lat, lon, inside) => {
    expect(bboxContains(BERLIN, { lat, lon })).toBe(inside);
  });

  it.each<[string, number, number, boolean]>([
    ['east of the antimeridian', -5, 175, true],
    ['west of the antimeridian', -5, -175, true],
    ['on the antimeridian as 180', -5, 180, true],
    ['on the antimeridian as -180', -5, -180, true],
    ['the west edge', -5, 170, true],
    ['the east edge', -5, -170, true],
    ['the north edge', 10, 179, true],
    ['the south edge', -20, -179, true],
    ['just west of the west edge', -5, 169.9, false],
    ['just east of the east edge', -5, -169.9, false],
    ['the Greenwich meridian', -5, 0, false],
    ['the middle of the excluded range', -5, 90, false],
    ['north of the box', 10.1, 180, false],
    ['south of the box', -20.1, 175, false],
  ])('box across the antimeridian: %s (%s, %s) -> %s', (_name, lat, lon, inside) => {
    expect(bboxContains(PACIFIC, { lat, lon })).toBe(inside);
  });

  it('treats a box of a single point as containing that point only', () => {
    const box: BBox = [13.4, 52.5, 13.4, 52.5];
    expect(bboxContains(box, { lat: 52.5, lon: 13.4 })).toBe(true);
    expect(bboxContains(box, { lat: 52.5, lon: 13.40001 })).toBe(false);
  });

  it('contains the whole world for [-180, -90, 180, 90]', () => {
    const world: BBox = [-180, -90, 180, 90];
    for (const [lat, lon] of [
      [0, 0],
      [90, 180],
      [-90, -180],
      [45, -120],
    ]) {
      expect(bboxContains(world, { lat, lon })).toBe(true);
    }
  });
});
