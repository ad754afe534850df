import { CommonConfig } from '@fleet/config';
import { IsEmail, IsInt, IsString, Max, Min, MinLength } from 'class-validator';

/** Development values that must not reach production (checked in `productionProblems`). */
export const DEV_JWT_SECRET = 'fleet-development-secret-do-not-use-in-production';
const DEV_OPERATOR_PASSWORD = 'operator-password';

/** Settings of the booking service; each is an environment variable of the same name. */
export class BookingConfig extends CommonConfig {
  /** HTTP port. */
  @IsInt()
  @Min(1)
  @Max(65535)
  BOOKING_PORT = 3000;

  /** HS256 signing key of access tokens (required in production, at least 32 characters). */
  @IsString()
  @MinLength(32)
  JWT_SECRET = DEV_JWT_SECRET;

  @IsString()
  JWT_ISSUER = 'fleet-booking';

  @IsString()
  JWT_AUDIENCE = 'fleet-api';

  /** Lifetime of an access token, in seconds. */
  @IsInt()
  @Min(60)
  JWT_TTL_S = 3600;

  /** The first operator, created (or its password reset) at start. */
  @IsEmail()
  FLEET_OPERATOR_EMAIL = 'operator@fleet.local';

  @IsString()
  @MinLength(8)
  FLEET_OPERATOR_PASSWORD = DEV_OPERATOR_PASSWORD;

  /** Free minutes a reservation holds a car before it expires. */
  @IsInt()
  @Min(1)
  RESERVATION_FREE_MIN = 20;

  /** How often expired reservations are released, in milliseconds (the car is bookable again within this). */
  @IsInt()
  @Min(100)
  RESERVATION_EXPIRY_CHECK_MS = 1000;

  /** Least fuel or battery, in percent, for a car to be bookable. */
  @IsInt()
  @Min(0)
  @Max(100)
  BOOKABLE_MIN_ENERGY_PCT = 15;

  /** Oldest position fix, in seconds, for a car to be bookable (parked cars report every 30 min). */
  @IsInt()
  @Min(60)
  BOOKABLE_MAX_FIX_AGE_S = 45 * 60;

  /** Requests per minute per client address on /auth routes. */
  @IsInt()
  @Min(1)
  THROTTLE_AUTH_PER_MIN = 20;

  /** Booking writes (reservations, trips) per minute per client address. */
  @IsInt()
  @Min(1)
  THROTTLE_WRITES_PER_MIN = 60;

  /** The KDF cost of stored passwords (scrypt N = 2^this). */
  @IsInt()
  @Min(10)
  @Max(20)
  PASSWORD_SCRYPT_LOG_N = 15;
}

/** What makes this configuration unfit for production; empty when it is fit (or not production). */
export function productionProblems(c: BookingConfig): string[] {
  if (!c.PRODUCTION) return [];
  const problems: string[] = [];
  if (c.JWT_SECRET === DEV_JWT_SECRET) problems.push('JWT_SECRET must be set in production');
  if (c.FLEET_OPERATOR_PASSWORD === DEV_OPERATOR_PASSWORD)
    problems.push('FLEET_OPERATOR_PASSWORD must be set in production');
  return problems;
}
