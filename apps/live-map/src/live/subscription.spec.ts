import { isRefusal, parseSubscription } from './subscription';

const error = (body: unknown) => {
  const r = parseSubscription(body);
  return isRefusal(r) ? r.error.message : null;
};

describe('parseSubscription', () => {
  it('reads a viewport with zoom and a state filter', () => {
    expect(
      parseSubscription({ bbox: [13.3, 52.4, 13.5, 52.6], zoom: 12, filter: { states: ['available'] } }),
    ).toEqual({
      bbox: [13.3, 52.4, 13.5, 52.6],
      zoom: 12,
      states: new Set(['available']),
    });
    expect(parseSubscription({ bbox: [13.3, 52.4, 13.5, 52.6] })).toEqual({
      bbox: [13.3, 52.4, 13.5, 52.6],
      zoom: null,
      states: null,
    });
  });

  it.each([
    [null, /object/],
    [[1, 2, 3, 4], /object/],
    [{}, /bbox/],
    [{ bbox: [1, 2, 3] }, /bbox/],
    [{ bbox: [1, 2, 3, 'x'] }, /bbox/],
    [{ bbox: [1, 2, 3, Number.NaN] }, /bbox/],
    [{ bbox: [13.5, 52.4, 13.3, 52.6] }, /west < east/],
    [{ bbox: [13.3, 52.6, 13.5, 52.4] }, /south < north/],
    [{ bbox: [-181, 0, 1, 1] }, /within/],
    [{ bbox: [1, 2, 3, 4], zoom: 30 }, /zoom/],
    [{ bbox: [1, 2, 3, 4], filter: { states: ['parked'] } }, /unknown state.*parked/],
    [{ bbox: [1, 2, 3, 4], filter: { states: 'available' } }, /array/],
    [{ bbox: [1, 2, 3, 4], filter: { colour: 'red' } }, /unknown filter field.*colour/],
    [{ bbox: [1, 2, 3, 4], extra: true }, /unknown field.*extra/],
  ])('refuses %j with a clear message', (body, message) => {
    expect(error(body)).toMatch(message);
  });
});
