import { ApiError } from '../common/api-error';
import type { ParkingCheck } from './trips.repository';
import { TripErrorCode, tripError } from './trip-errors';

/**
 * Why a trip may not end where the car stands (PRODUCT.md), or null when it may: a fix no older than
 * `maxFixAgeS`, inside a business area, outside every no-parking zone, ignition off, doors closed.
 * A car that does not report ignition or doors is not held to them.
 */
export function endRefusal(check: ParkingCheck | undefined, maxFixAgeS: number): ApiError | null {
  if (!check || check.fixAgeS === null || check.fixAgeS > maxFixAgeS) {
    const fixAgeS = check?.fixAgeS ?? null;
    const age = fixAgeS === null ? 'no position' : `the last position is ${Math.round(fixAgeS)} s old`;
    return tripError(
      TripErrorCode.StalePosition,
      `the car's position is not recent enough to end the trip (${age}, at most ${maxFixAgeS} s)`,
    );
  }
  if (!check.inBusinessArea) {
    const distanceM =
      check.distanceToBusinessAreaM === null ? null : Math.ceil(check.distanceToBusinessAreaM);
    return tripError(
      TripErrorCode.OutsideBusinessArea,
      distanceM === null
        ? 'the car is outside the business area'
        : `the car is ${distanceM} m outside the business area`,
      { distanceToBusinessAreaM: distanceM },
    );
  }
  if (check.noParkingZone !== null) {
    return tripError(
      TripErrorCode.InNoParkingZone,
      `the car stands in the no-parking zone "${check.noParkingZone}"`,
      {
        zone: check.noParkingZone,
      },
    );
  }
  if (check.ignition === true)
    return tripError(TripErrorCode.IgnitionOn, 'switch the ignition off to end the trip');
  if (check.doorsClosed === false)
    return tripError(TripErrorCode.DoorsOpen, 'close the doors to end the trip');
  return null;
}
