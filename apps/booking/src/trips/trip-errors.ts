import { ApiError } from '../common/api-error';

/** Error codes of the trips module. */
export enum TripErrorCode {
  NotFound = 'TRIP_NOT_FOUND',
  NotActive = 'TRIP_NOT_ACTIVE',
  NotParked = 'TRIP_NOT_PARKED',
  Busy = 'TRIP_BUSY',
  ReservationNotActive = 'RESERVATION_NOT_ACTIVE',
  StalePosition = 'STALE_POSITION',
  OutsideBusinessArea = 'OUTSIDE_BUSINESS_AREA',
  InNoParkingZone = 'IN_NO_PARKING_ZONE',
  IgnitionOn = 'IGNITION_ON',
  DoorsOpen = 'DOORS_OPEN',
}

const STATUS: Record<TripErrorCode, number> = {
  [TripErrorCode.NotFound]: 404,
  [TripErrorCode.NotActive]: 409,
  [TripErrorCode.NotParked]: 409,
  [TripErrorCode.Busy]: 409,
  [TripErrorCode.ReservationNotActive]: 409,
  [TripErrorCode.StalePosition]: 422,
  [TripErrorCode.OutsideBusinessArea]: 422,
  [TripErrorCode.InNoParkingZone]: 422,
  [TripErrorCode.IgnitionOn]: 422,
  [TripErrorCode.DoorsOpen]: 422,
};

/** The API error for a trips error code. */
export function tripError(
  code: TripErrorCode,
  message: string,
  extra: Record<string, unknown> = {},
): ApiError {
  return new ApiError(STATUS[code], code, message, extra);
}
