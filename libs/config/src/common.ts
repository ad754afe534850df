import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { toBool } from './load-config';

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

  /** Credentials the services use on the broker (optional). */
  @IsOptional()
  @IsString()
  MQTT_USERNAME?: string;

  @IsOptional()
  @IsString()
  MQTT_PASSWORD?: string;

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
