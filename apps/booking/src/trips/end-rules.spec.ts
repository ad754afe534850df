import { endRefusal } from './end-rules';
import type { ParkingCheck } from './trips.repository';

const fine: ParkingCheck = {
  fixAgeS: 5,
  inBusinessArea: true,
  distanceToBusinessAreaM: 0,
  noParkingZone: null,
  ignition: false,
  doorsClosed: true,
};
const refusal = (c: Partial<ParkingCheck> | undefined) => {
  const err = endRefusal(c === undefined ? undefined : { ...fine, ...c }, 120);
  return err && { status: err.getStatus(), ...(err.getResponse() as object) };
};

describe('endRefusal', () => {
  it('lets a trip end on a fresh fix inside the business area, ignition off, doors closed', () => {
    expect(refusal({})).toBeNull();
  });

  it('does not hold a car to reports it does not send', () => {
    expect(refusal({ ignition: null, doorsClosed: null })).toBeNull();
  });

  it.each<[string, Partial<ParkingCheck> | undefined, string]>([
    ['no state row', undefined, 'STALE_POSITION'],
    ['no fix yet', { fixAgeS: null }, 'STALE_POSITION'],
    ['a fix older than 2 minutes', { fixAgeS: 121 }, 'STALE_POSITION'],
    [
      'outside the business area',
      { inBusinessArea: false, distanceToBusinessAreaM: 812.2 },
      'OUTSIDE_BUSINESS_AREA',
    ],
    ['in a no-parking zone', { noParkingZone: 'Platz der Republik' }, 'IN_NO_PARKING_ZONE'],
    ['ignition on', { ignition: true }, 'IGNITION_ON'],
    ['doors open', { doorsClosed: false }, 'DOORS_OPEN'],
    ['a stale fix is judged before the zones', { fixAgeS: 600, inBusinessArea: false }, 'STALE_POSITION'],
    ['the zones before ignition', { inBusinessArea: false, ignition: true }, 'OUTSIDE_BUSINESS_AREA'],
  ])('refuses %s', (_name, check, code) => {
    expect(refusal(check)).toMatchObject({ status: 422, statusCode: 422, code });
  });

  it('tells how far the business area is, in whole metres rounded up', () => {
    expect(refusal({ inBusinessArea: false, distanceToBusinessAreaM: 812.2 })).toMatchObject({
      distanceToBusinessAreaM: 813,
      message: 'the car is 813 m outside the business area',
    });
  });

  it('accepts a fix exactly 2 minutes old', () => {
    expect(refusal({ fixAgeS: 120 })).toBeNull();
  });
});
