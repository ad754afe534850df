import { CommonConfig } from '@fleet/config';
import { IsString, MinLength } from 'class-validator';

/** Settings of the services that check access tokens (booking issues them; live-map checks them). */
export class TokenConfig extends CommonConfig {
  /**
   * HS256 signing key of access tokens, at least 32 characters; the same on booking and the live map.
   * Unset outside production: the installation's development key (libs/config dev-secrets.ts).
   */
  @IsString()
  @MinLength(32)
  JWT_SECRET = '';

  @IsString()
  JWT_ISSUER = 'fleet-booking';

  @IsString()
  JWT_AUDIENCE = 'fleet-api';
}
