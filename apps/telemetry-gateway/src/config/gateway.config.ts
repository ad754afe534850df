import { CommonConfig, toBool } from '@fleet/config';
import { Transform } from 'class-transformer';
import { IsBoolean, IsInt, IsOptional, IsString, Matches, Max, Min, MinLength } from 'class-validator';

/** Settings of the telemetry gateway; each is an environment variable of the same name. */
export class GatewayConfig extends CommonConfig {
  /**
   * Passwords of the services' broker accounts (16+ characters each): the gateway's own, and those
   * of booking and the live map, which the embedded broker checks and the Mosquitto files carry.
   */
  @IsString()
  @MinLength(16)
  MQTT_GATEWAY_PASSWORD = '';

  @IsString()
  @MinLength(16)
  MQTT_BOOKING_PASSWORD = '';

  @IsString()
  @MinLength(16)
  MQTT_LIVE_MAP_PASSWORD = '';

  /**
   * Bearer token a scraper shows for /metrics (`Authorization: Bearer <token>`). Unset: /metrics is
   * open outside production and absent (404) in production.
   */
  @IsOptional()
  @MinLength(16)
  METRICS_TOKEN?: string;

  /** HTTP port of /health and /metrics. */
  @IsInt()
  @Min(1)
  @Max(65535)
  GATEWAY_PORT = 3002;

  /** Stable id of this instance; names its persistent MQTT sessions, so keep it across restarts. */
  @Matches(/^[A-Za-z0-9_-]{1,32}$/, { message: 'GATEWAY_INSTANCE_ID must be 1-32 letters, digits, _ or -' })
  GATEWAY_INSTANCE_ID = 'gw1';

  /** Connections on the shared telemetry subscription. */
  @IsInt()
  @Min(1)
  @Max(1024)
  GATEWAY_MQTT_CONNECTIONS = 8;

  /**
   * Telemetry messages each connection may hold unacknowledged while their commit is pending (MQTT 5
   * Receive Maximum; bounds the gateway's memory: connections x this x message size).
   */
  @IsInt()
  @Min(1)
  @Max(65535)
  GATEWAY_MQTT_RECEIVE_MAXIMUM = 1000;

  /** Use MQTT shared subscriptions (off for an external broker without them: one connection then). */
  @Transform(({ value }) => toBool(value))
  @IsBoolean()
  GATEWAY_SHARED_SUBSCRIPTION = true;

  /** Shared-subscription group of the gateways (instances in one group split the load). */
  @Matches(/^[A-Za-z0-9_-]{1,64}$/, { message: 'GATEWAY_SHARED_GROUP must be 1-64 letters, digits, _ or -' })
  GATEWAY_SHARED_GROUP = 'fleet-gateway';

  /** MQTT protocol version towards an external broker (5 recommended; 4 = 3.1.1). */
  @IsInt()
  @Min(4)
  @Max(5)
  MQTT_PROTOCOL_VERSION = 5;

  /** How long the broker keeps the gateway's sessions while it is away, in seconds. */
  @IsInt()
  @Min(60)
  GATEWAY_SESSION_EXPIRY_S = 7 * 24 * 3600;

  /** Largest number of samples committed in one transaction. */
  @IsInt()
  @Min(1)
  @Max(100_000)
  INGEST_MAX_BATCH_SAMPLES = 10_000;

  /**
   * Batches committed side by side (each on its own database connection). 1 by default: at 2 the
   * benchmark measured less throughput and deadlock retries between overlapping batches.
   */
  @IsInt()
  @Min(1)
  @Max(8)
  INGEST_COMMIT_CONCURRENCY = 1;

  /** Largest telemetry payload in bytes; larger ones go to quarantine. */
  @IsInt()
  @Min(1024)
  TELEMETRY_MAX_PAYLOAD_BYTES = 256 * 1024;

  /** Most samples in one array message. */
  @IsInt()
  @Min(1)
  TELEMETRY_MAX_SAMPLES_PER_MESSAGE = 1000;

  /** How far a fix time may lie ahead of the server clock, in seconds. */
  @IsInt()
  @Min(0)
  TELEMETRY_MAX_FUTURE_S = 300;

  /** Implied speed from the last accepted fix above which a sample is quarantined, km/h. */
  @IsInt()
  @Min(1)
  TELEMETRY_MAX_IMPLIED_SPEED_KMH = 300;

  /** Bytes of a quarantined payload that are kept (the size is always recorded). */
  @IsInt()
  @Min(256)
  QUARANTINE_MAX_STORED_BYTES = 16 * 1024;

  /** Silence after which an online car counts as offline, in seconds (parked cars report every 30 min). */
  @IsInt()
  @Min(1)
  VEHICLE_SILENCE_TIMEOUT_S = 45 * 60;

  /** How often the silence timeout is checked, in seconds. */
  @IsInt()
  @Min(1)
  VEHICLE_SILENCE_CHECK_S = 10;

  /** Default time to live of a command, in seconds. */
  @IsInt()
  @Min(1)
  @Max(3600)
  COMMAND_TTL_S = 30;

  /** Above this speed (km/h) `immobilize` is refused. */
  @IsInt()
  @Min(0)
  COMMAND_IMMOBILIZE_MAX_SPEED_KMH = 5;

  /** Days of telemetry history kept (0 = keep everything). */
  @IsInt()
  @Min(0)
  TELEMETRY_RETENTION_DAYS = 0;

  /** Days a quarantined message is kept after it was received (0 = keep forever). */
  @IsInt()
  @Min(0)
  @Max(36_500)
  QUARANTINE_RETENTION_DAYS = 30;

  /**
   * Days a vehicle event (MDS state change) is kept after it occurred (0 = keep forever). More than
   * a year: MDS reports and audits look back a year.
   */
  @IsInt()
  @Min(0)
  @Max(36_500)
  EVENTS_RETENTION_DAYS = 400;

  /** Days a finished command is kept after it was issued (0 = keep forever); open ones always stay. */
  @IsInt()
  @Min(0)
  @Max(36_500)
  COMMANDS_RETENTION_DAYS = 90;

  /** Minutes between two runs of the retention jobs (quarantine, events, commands). */
  @IsInt()
  @Min(1)
  @Max(1440)
  RETENTION_INTERVAL_MIN = 60;

  /** On SIGTERM, how long in-flight batches may take to commit before the gateway stops anyway, in seconds. */
  @IsInt()
  @Min(1)
  GATEWAY_SHUTDOWN_TIMEOUT_S = 15;

  /**
   * How often the gateway checks the latest-state table for dead rows and vacuums it, in seconds
   * (0 = leave it to autovacuum, which at high telemetry rates lets it bloat; see docs/operations.md).
   */
  @IsInt()
  @Min(0)
  GATEWAY_STATE_VACUUM_S = 10;

  /**
   * With an external Mosquitto (MQTT_URL): the folder where the gateway keeps the broker's password
   * and ACL files (docker/mosquitto/mosquitto.conf) in step with the registered vehicles; unset, the
   * files are someone else's job. See docs/operations.md, "Broker access".
   */
  @IsOptional()
  @IsString()
  MOSQUITTO_AUTH_DIR?: string;

  /** How often those files are brought up to date, in seconds (a new car can connect after this). */
  @IsInt()
  @Min(1)
  MOSQUITTO_AUTH_SYNC_S = 5;

  /** Database connections of the gateway. */
  @IsInt()
  @Min(2)
  GATEWAY_DB_POOL_SIZE = 6;
}
