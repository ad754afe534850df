/** Why a telemetry message or sample went to quarantine instead of the vehicle's state. */
export enum RejectReason {
  /** The payload is not JSON. */
  MalformedJson = 'MALFORMED_JSON',
  /** The payload is larger than the limit (256 KiB by default). */
  PayloadTooLarge = 'PAYLOAD_TOO_LARGE',
  /** An array of more than 1000 samples, or an empty one. */
  BatchSize = 'BATCH_SIZE',
  /** A field breaks a rule of the contract (type, range, NaN/Infinity, NUL character, missing). */
  SchemaViolation = 'SCHEMA_VIOLATION',
  /** The topic does not name a valid vehicle id. */
  InvalidTopic = 'INVALID_TOPIC',
  /** No vehicle with that id is registered. */
  UnknownVehicle = 'UNKNOWN_VEHICLE',
  /** The fix time is more than the allowed skew (5 minutes) ahead of the server clock. */
  FutureTimestamp = 'FUTURE_TIMESTAMP',
  /** The distance from the last accepted fix implies a speed above the limit (300 km/h). */
  ImplausibleSpeed = 'IMPLAUSIBLE_SPEED',
  /** The database refused the message although it passed validation (details hold its error). */
  StorageRejected = 'STORAGE_REJECTED',
}
