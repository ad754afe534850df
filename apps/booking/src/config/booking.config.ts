import { ACCESS_TOKEN_MAX_TTL_S, OWASP_ARGON2ID, PasswordCost, TokenConfig } from '@fleet/auth';
import { secretProblems, toBool } from '@fleet/config';
import { Transform } from 'class-transformer';
import {
  IsBoolean,
  IsEmail,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  MinLength,
} from 'class-validator';
import type { Tariff } from '../pricing/pricing';
import { IsTrustProxy } from '../throttle/client-address';

/** Settings of the booking service; each is an environment variable of the same name. */
export class BookingConfig extends TokenConfig {
  /** HTTP port. */
  @IsInt()
  @Min(1)
  @Max(65535)
  BOOKING_PORT = 3000;

  /**
   * Processes serving the API on BOOKING_PORT (node:cluster); up to the machine's cores. Each holds
   * its own nearby index and database pools.
   */
  @IsInt()
  @Min(1)
  @Max(64)
  BOOKING_WORKERS = 1;

  /**
   * Origins whose pages may call the API from a browser (CORS), comma-separated, or `*` for any: the
   * API authenticates with Bearer tokens, never cookies, so another origin's page cannot act for a
   * user it has no token of. The live map's operator page is such a page when served from its own port.
   */
  @Matches(/^(\*|https?:\/\/[^,\s/]+(,https?:\/\/[^,\s/]+)*)$/, {
    message: 'BOOKING_CORS_ORIGINS must be * or a comma-separated list of http(s)://host[:port] origins',
  })
  BOOKING_CORS_ORIGINS = '*';

  /**
   * Outgoing mail (invitations, notices). SMTP_URL: the relay, smtp://user:pass@host:587 (STARTTLS
   * when the server offers it; add ?requireTLS=true to insist) or smtps://user:pass@host:465. Unset
   * outside production: each mail is logged instead of sent; in production unset is refused.
   */
  @Matches(/^(smtps?:\/\/\S+)?$/, { message: 'SMTP_URL must be empty or an smtp:// or smtps:// URL' })
  SMTP_URL = '';

  /** The sender of every mail: an address, or `Name <address>`. */
  @Matches(/^([^<>\r\n]*<[^<>@\s]+@[^<>@\s]+>|[^<>@\s]+@[^<>@\s]+)$/, {
    message: 'MAIL_FROM must be an address or Name <address>',
  })
  MAIL_FROM = 'Fleet <no-reply@fleet.local>';

  /** Where people reach the operator web app (the live map), for links in mail; no trailing slash. */
  @Matches(/^https?:\/\/[^\s?#]*[^/\s?#]$/, {
    message: 'FLEET_PUBLIC_URL must be an http(s) URL without a trailing slash',
  })
  FLEET_PUBLIC_URL = 'http://localhost:3001';

  /** Lifetime of an access token, in seconds (CONTRACT.md 5: at most 15 minutes). */
  @IsInt()
  @Min(60)
  @Max(ACCESS_TOKEN_MAX_TTL_S)
  JWT_TTL_S = ACCESS_TOKEN_MAX_TTL_S;

  /**
   * Longest a session lives from login, in days: its refresh tokens rotate on every use, and after
   * this the user logs in again.
   */
  @IsInt()
  @Min(1)
  @Max(365)
  SESSION_TTL_DAYS = 30;

  /**
   * Whether an admin or fleet manager must have TOTP enrolled and log in with a code before any
   * endpoint but their own account's (on by default in production).
   */
  @Transform(({ value }) => toBool(value))
  @IsBoolean()
  MFA_ENFORCED = process.env.NODE_ENV === 'production';

  /** How long a staff invitation's link (set a password) stays good, in hours. */
  @IsInt()
  @Min(1)
  @Max(720)
  INVITATION_TTL_H = 72;

  /**
   * Whether the OpenAPI description and Swagger UI are served (/api/docs, /api/docs-json). Off in
   * production unless set: they map every route for whoever looks (`apiDocsPublic`).
   */
  @IsOptional()
  @Transform(({ value }) => toBool(value))
  @IsBoolean()
  API_DOCS_PUBLIC?: boolean;

  /** The first operator, created (or its password reset) at start. */
  @IsEmail()
  FLEET_OPERATOR_EMAIL = 'operator@fleet.local';

  /** Its password (unset outside production: from the development secrets file). */
  @IsString()
  @MinLength(8)
  FLEET_OPERATOR_PASSWORD = '';

  /** Password of booking's broker account, `fleet-booking` (16+ characters). */
  @IsString()
  @MinLength(16)
  MQTT_BOOKING_PASSWORD = '';

  /** How long a reservation holds a car before it expires, in minutes. */
  @IsInt()
  @Min(1)
  RESERVATION_HOLD_MIN = 20;

  /** Reserved minutes that cost nothing (beyond them: PRICE_RESERVATION_CENTS_PER_MIN). */
  @IsInt()
  @Min(0)
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

  /** How long the service waits for a car to confirm unlock or lock, in seconds (the command's expiry). */
  @IsInt()
  @Min(2)
  @Max(300)
  VEHICLE_COMMAND_TIMEOUT_S = 30;

  /** Oldest position fix, in seconds, a trip may end on (PRODUCT.md: 2 minutes). */
  @IsInt()
  @Min(10)
  TRIP_END_MAX_FIX_AGE_S = 120;

  /** Most points a route or track answer holds; a longer one is thinned evenly. */
  @IsInt()
  @Min(2)
  @Max(1_000_000)
  TRACK_MAX_POINTS = 10_000;

  /** Tariff (PRODUCT.md), in integer cents of PRICE_CURRENCY. */
  @Matches(/^[A-Z]{3}$/, { message: 'PRICE_CURRENCY must be an ISO 4217 code such as EUR' })
  PRICE_CURRENCY = 'EUR';

  @IsInt()
  @Min(0)
  PRICE_UNLOCK_CENTS = 100;

  @IsInt()
  @Min(0)
  PRICE_DRIVE_CENTS_PER_MIN = 29;

  @IsInt()
  @Min(0)
  PRICE_PARK_CENTS_PER_MIN = 19;

  @IsInt()
  @Min(0)
  PRICE_RESERVATION_CENTS_PER_MIN = 19;

  /** Kilometres a trip includes before PRICE_CENTS_PER_KM applies. */
  @IsInt()
  @Min(0)
  PRICE_INCLUDED_KM = 200;

  @IsInt()
  @Min(0)
  PRICE_CENTS_PER_KM = 29;

  /** Most the time-based part of a trip costs per started 24 hours. */
  @IsInt()
  @Min(0)
  PRICE_DAY_CAP_CENTS = 8900;

  /**
   * How often the in-memory nearby index reloads the fleet and the business areas from the database,
   * in ms (between reloads the state stream keeps it current).
   */
  @IsInt()
  @Min(100)
  NEARBY_INDEX_RESYNC_MS = 30_000;

  /** Requests per minute per client address on /auth routes. */
  @IsInt()
  @Min(1)
  THROTTLE_AUTH_PER_MIN = 20;

  /** Booking writes (reservations, trips) per minute per client address. */
  @IsInt()
  @Min(1)
  THROTTLE_WRITES_PER_MIN = 60;

  /**
   * Redis holding the rate-limit and login-backoff counters, shared by every process and instance
   * (redis:// or rediss://). Empty: each process counts alone (refused in production with
   * BOOKING_WORKERS > 1). If it stops answering, requests go through unlimited until it is back.
   */
  @Matches(/^(rediss?:\/\/\S+)?$/, { message: 'REDIS_URL must be empty or a redis:// or rediss:// URL' })
  REDIS_URL = '';

  /**
   * Put before every key this service writes to Redis, so deployments or test runs sharing one stay
   * apart (no braces: they would move keys between Redis Cluster hash slots).
   */
  @Matches(/^[^\s*?[\]{}]{0,64}$/, {
    message: 'REDIS_KEY_PREFIX must be at most 64 characters without spaces, * ? [ ] { }',
  })
  REDIS_KEY_PREFIX = 'fleet:';

  /**
   * Which hops' X-Forwarded-For to believe for the client address (req.ip, every limit per address):
   * `false`, a hop count (`1`: one load balancer in front), or a comma-separated list of proxy
   * addresses, CIDRs, `loopback`, `linklocal`, `uniquelocal`. Without a proxy that overwrites the
   * header, trusting it lets each request choose its own address and escape every per-address limit.
   */
  @IsTrustProxy()
  TRUST_PROXY = 'false';

  /** Nearby searches per minute per client address (answered 429 beyond); 0: not limited. */
  @IsInt()
  @Min(0)
  THROTTLE_NEARBY_PER_MIN = 1200;

  /** Failed logins per account within LOGIN_FAILURE_WINDOW_S that lock nothing. */
  @IsInt()
  @Min(0)
  @Max(10_000)
  LOGIN_FREE_FAILURES = 5;

  /** How long an account's failed logins are counted from the first, in seconds (longer while locked). */
  @IsInt()
  @Min(1)
  @Max(86_400)
  LOGIN_FAILURE_WINDOW_S = 900;

  /** Longest lock of an account's logins, in seconds (each failure beyond the free ones doubles it from 1). */
  @IsInt()
  @Min(1)
  @Max(86_400)
  LOGIN_BACKOFF_MAX_S = 900;

  /**
   * Open data (GBFS v3.0, CONTRACT.md 2.6). GBFS_BASE_URL: the public URL its feeds are reached at,
   * e.g. https://api.example.com/api/v1/gbfs (empty: from each request's Host and
   * X-Forwarded-Proto, fine behind a proxy that sets them).
   */
  @Matches(/^(https?:\/\/[^\s?#]+[^/\s?#])?$/, {
    message: 'GBFS_BASE_URL must be empty or an http(s) URL without a trailing slash',
  })
  GBFS_BASE_URL = '';

  /** The system's id in GBFS: stable, unique among the systems an aggregator reads. */
  @Matches(/^[A-Za-z0-9._-]{1,64}$/, { message: 'GBFS_SYSTEM_ID must be 1-64 of A-Z a-z 0-9 . _ -' })
  GBFS_SYSTEM_ID = 'fleet';

  @IsString()
  @MinLength(1)
  GBFS_SYSTEM_NAME = 'Fleet car sharing';

  /** The language of the feeds' texts (IETF BCP 47). */
  @Matches(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, {
    message: 'GBFS_LANGUAGE must be a BCP 47 tag such as en or de-DE',
  })
  GBFS_LANGUAGE = 'en';

  /** The system's time zone (IANA). */
  @Matches(/^[A-Za-z_]+(\/[A-Za-z0-9_+-]+)*$/, {
    message: 'GBFS_TIMEZONE must be an IANA zone such as Europe/Berlin',
  })
  GBFS_TIMEZONE = 'Europe/Berlin';

  /** Where data consumers report problems with the feeds. */
  @IsEmail()
  GBFS_CONTACT_EMAIL = 'opendata@fleet.local';

  /** How long a feed is served from memory and may be cached by readers (the feeds' `ttl`), seconds. */
  @IsInt()
  @Min(0)
  @Max(300)
  GBFS_TTL_S = 30;

  /**
   * A vehicle type's `max_range_meters` (GBFS requires it for motorised vehicles) when no car of the
   * type has reported a longer range, by propulsion, km.
   */
  @IsInt()
  @Min(1)
  GBFS_MAX_RANGE_KM_ELECTRIC = 400;

  @IsInt()
  @Min(1)
  GBFS_MAX_RANGE_KM_COMBUSTION = 700;

  /**
   * Argon2id cost of stored passwords: memory in KiB and iterations (defaults: OWASP's 19 MiB and
   * 2). A login with a password stored at another cost (or by the older scrypt) stores it anew.
   */
  @IsInt()
  @Min(1024)
  @Max(1_048_576)
  PASSWORD_ARGON2_MEMORY_KIB = OWASP_ARGON2ID.memoryKiB;

  @IsInt()
  @Min(1)
  @Max(20)
  PASSWORD_ARGON2_TIME_COST = OWASP_ARGON2ID.timeCost;

  // Retention (the RetentionModule's jobs; 0 keeps rows forever).
  /**
   * Hours an Idempotency-Key's stored answer is kept after the first request (24, as Stripe does): a
   * retry within this gets the first answer, a later one is a new request.
   */
  @IsInt()
  @Min(0)
  @Max(8760)
  IDEMPOTENCY_KEY_RETENTION_H = 24;

  /** Days a session (with its refresh tokens) is kept after it ended or expired. */
  @IsInt()
  @Min(0)
  @Max(36_500)
  SESSION_RETENTION_DAYS = 30;

  /** Days a one-time link (set a password) is kept after it was used or expired. */
  @IsInt()
  @Min(0)
  @Max(36_500)
  ONE_TIME_TOKEN_RETENTION_DAYS = 7;

  /** Days an audit log entry is kept (0, the default, keeps the log forever). */
  @IsInt()
  @Min(0)
  @Max(36_500)
  AUDIT_RETENTION_DAYS = 0;

  /** Minutes between two runs of the retention jobs. */
  @IsInt()
  @Min(1)
  @Max(1440)
  RETENTION_INTERVAL_MIN = 60;
}

/** What keeps booking from starting with this configuration (secrets, production); empty when nothing. */
export function startProblems(c: BookingConfig): string[] {
  const problems = secretProblems(c);
  if (!c.PRODUCTION) return problems;
  if (!c.SMTP_URL) problems.push('SMTP_URL must be set in production (mail would not be sent)');
  if (!c.REDIS_URL && c.BOOKING_WORKERS > 1)
    problems.push(
      'REDIS_URL must be set in production with BOOKING_WORKERS > 1: each worker counts limits alone',
    );
  return problems;
}

/** Whether booking serves its OpenAPI description and Swagger UI. */
export function apiDocsPublic(c: BookingConfig): boolean {
  return c.API_DOCS_PUBLIC ?? !c.PRODUCTION;
}

/** The cost passwords are hashed at. */
export function passwordCostOf(c: BookingConfig): PasswordCost {
  return { memoryKiB: c.PASSWORD_ARGON2_MEMORY_KIB, timeCost: c.PASSWORD_ARGON2_TIME_COST };
}

/** The tariff this configuration sets. */
export function tariffOf(c: BookingConfig): Tariff {
  return {
    currency: c.PRICE_CURRENCY,
    unlockCents: c.PRICE_UNLOCK_CENTS,
    driveCentsPerMin: c.PRICE_DRIVE_CENTS_PER_MIN,
    parkCentsPerMin: c.PRICE_PARK_CENTS_PER_MIN,
    reservationCentsPerMin: c.PRICE_RESERVATION_CENTS_PER_MIN,
    reservationFreeMin: c.RESERVATION_FREE_MIN,
    includedKm: c.PRICE_INCLUDED_KM,
    centsPerKm: c.PRICE_CENTS_PER_KM,
    dayCapCents: c.PRICE_DAY_CAP_CENTS,
  };
}

/**
 * How long a reservation or trip stays marked busy while its car carries out a handover command, in
 * seconds: the command's expiry plus the gateway's grace; a crashed request frees it after this.
 */
export function handoverBusyS(c: BookingConfig): number {
  return c.VEHICLE_COMMAND_TIMEOUT_S + 15;
}
