import type { VehicleView } from '@fleet/domain';
import mqtt, { MqttClient } from 'mqtt';
import { BrokerCredentials, serviceMqttOptions } from './mqtt-options';
import { VehicleChangeBatch } from './payloads';
import { VEHICLE_CHANGES_PATTERN } from './topics';

export interface StateStreamListener {
  /** The changes of one message of the stream, in order. */
  changes(views: VehicleView[]): void;
  /** A message that is not a change batch (logged by the caller; the stream goes on). */
  malformed(reason: string): void;
  /**
   * Each (re)connection, once subscribed: what changed while the follower was not subscribed (before
   * the first connection, or during an outage) is for the caller to read from the database now.
   */
  subscribed?(): void;
  /** A connection error (MQTT.js reconnects by itself). */
  error?(err: Error): void;
}

/**
 * Follows the state stream (every car's view after each committed change, from the gateways and the
 * booking instances) with a plain MQTT subscription, so that every follower hears every change (not a
 * shared subscription). QoS 0: a lost change is healed by the car's next one and the follower's
 * periodic read of what changed in the database.
 */
export function followStateStream(
  brokerUrl: string,
  clientName: string,
  credentials: BrokerCredentials,
  listener: StateStreamListener,
): MqttClient {
  const client = mqtt.connect(brokerUrl, serviceMqttOptions(clientName, credentials));
  client.on('connect', () => {
    client.subscribe(VEHICLE_CHANGES_PATTERN, { qos: 0 }, (err) => {
      if (err) listener.error?.(err);
      else listener.subscribed?.();
    });
  });
  // Always listened to: an 'error' event without a listener would end the process.
  client.on('error', (err) => listener.error?.(err));
  client.on('message', (_topic, payload) => {
    let batch: VehicleChangeBatch | undefined;
    try {
      // Nest's MQTT transport sends events as {pattern, data}.
      batch = (JSON.parse(payload.toString()) as { data?: VehicleChangeBatch }).data;
    } catch (err) {
      return listener.malformed((err as Error).message);
    }
    if (!Array.isArray(batch?.changes)) return listener.malformed('no changes array');
    listener.changes(batch.changes);
  });
  return client;
}
