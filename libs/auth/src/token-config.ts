import { brokerConfigProblems, CommonConfig } from '@fleet/config';
import { IsString, MinLength } from 'class-validator';

/** Development signing key that must not reach production (each service refuses it there). */
export const DEV_JWT_SECRET = 'fleet-development-secret-do-not-use-in-production';

/** Settings of the services that check access tokens (booking issues them; live-map checks them). */
export class TokenConfig extends CommonConfig {
  /** HS256 signing key of access tokens (required in production, at least 32 characters). */
  @IsString()
  @MinLength(32)
  JWT_SECRET = DEV_JWT_SECRET;

  @IsString()
  JWT_ISSUER = 'fleet-booking';

  @IsString()
  JWT_AUDIENCE = 'fleet-api';
}

/** What makes the token (and broker) settings unfit for production; empty when fit (or not production). */
export function tokenConfigProblems(c: TokenConfig): string[] {
  const problems = brokerConfigProblems(c);
  if (c.PRODUCTION && c.JWT_SECRET === DEV_JWT_SECRET) problems.push('JWT_SECRET must be set in production');
  return problems;
}
