import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Matches, Max, Min, MinLength } from 'class-validator';
import { toBool } from './load-config';

/** Development password of the services' broker account; refused in production. */
export const DEV_MQTT_PASSWORD = 'fleet-service-development-password';

/** Settings every service shares (CONTRACT.md section 4). */
export class CommonConfig {
  /** PostgreSQL with PostGIS. */
  @Matches(/^postgres(ql)?:\/\//, { message: 'DATABASE_URL must be a postgres:// URL' })
  DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/fleet';

  /** The broker cars and services use; unset means the gateway embeds one on MQTT_PORT. */
  @IsOptional()
  @Matches(/^(mqtts?|wss?|tcp):\/\//, {
    message: 'MQTT_URL must be an mqtt://, mqtts://, ws:// or wss:// URL',
  })
  MQTT_URL?: string;

  /** Port of the embedded broker (only when MQTT_URL is unset). */
  @IsInt()
  @Min(1)
  @Max(65535)
  MQTT_PORT = 1883;

  /**
   * The services' own broker account: the embedded broker and the Mosquitto files the gateway writes
   * (MOSQUITTO_AUTH_DIR) let it publish commands and internal topics, which cars may not.
   */
  @Matches(/^[^\s:]{1,64}$/, { message: 'MQTT_USERNAME must be 1-64 characters without spaces or ":"' })
  MQTT_USERNAME = 'fleet-service';

  /** Password of the services' account (required in production, at least 16 characters). */
  @IsString()
  @MinLength(16)
  MQTT_PASSWORD = DEV_MQTT_PASSWORD;

  /** Topic prefix of the vehicle protocol. */
  @Matches(/^[^#+\s]+[^/#+\s]$/, {
    message: 'MQTT_TOPIC_PREFIX must be a topic without wildcards or trailing /',
  })
  MQTT_TOPIC_PREFIX = 'fleet/v1';

  @IsIn(['error', 'warn', 'log', 'debug', 'verbose'])
  LOG_LEVEL = 'log';

  @Transform(({ value }) => toBool(value))
  @IsBoolean()
  PRODUCTION = process.env.NODE_ENV === 'production';
}

/** The broker URL services connect to: MQTT_URL, or the embedded broker on localhost. */
export function brokerUrl(config: Pick<CommonConfig, 'MQTT_URL' | 'MQTT_PORT'>): string {
  return config.MQTT_URL ?? `mqtt://127.0.0.1:${config.MQTT_PORT}`;
}

/** What makes the broker settings unfit for production; empty when fit (or not production). */
export function brokerConfigProblems(c: Pick<CommonConfig, 'PRODUCTION' | 'MQTT_PASSWORD'>): string[] {
  return c.PRODUCTION && c.MQTT_PASSWORD === DEV_MQTT_PASSWORD
    ? ['MQTT_PASSWORD must be set in production']
    : [];
}
