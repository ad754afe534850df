import type { IClientOptions } from 'mqtt';

/** How the gateway's persistent MQTT sessions are opened. */
export interface PersistentSessionSettings {
  protocolVersion: 4 | 5;
  /** How long the broker keeps the session while the gateway is away, in seconds (MQTT 5). */
  sessionExpiryS: number;
  username?: string;
  password?: string;
}

/**
 * MQTT.js options of a persistent session (clean: false) under a stable client id, so that a
 * restarted gateway resumes it and gets what the broker kept for it.
 */
export function persistentSessionOptions(clientId: string, s: PersistentSessionSettings): IClientOptions {
  return {
    clientId,
    clean: false,
    protocolVersion: s.protocolVersion,
    reconnectPeriod: 1000,
    // After a refusal too: the broker may not have loaded the account files the gateway just wrote.
    reconnectOnConnackError: true,
    connectTimeout: 10_000,
    username: s.username,
    password: s.password,
    ...(s.protocolVersion === 5 ? { properties: { sessionExpiryInterval: s.sessionExpiryS } } : {}),
  };
}
