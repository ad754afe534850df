import type { MqttClient, Packet } from 'mqtt';

type SendPacket = (packet: Packet, cb?: (err?: Error) => void, ...rest: unknown[]) => void;

interface HeldAck {
  packet: Packet | null;
  released: boolean;
}

/**
 * Holds the PUBACKs of one MQTT.js connection until their messages are committed, while the
 * connection goes on reading.
 *
 * MQTT.js sends a QoS 1 PUBACK in the callback of `client.handleMessage` and reads the connection's
 * next packet only once that PUBACK is written, so acknowledging after commit allows one message in
 * flight per connection. Here `handleMessage`'s callback runs at once, the PUBACK it produces is held
 * back, and it goes out when the message is released: in the order the messages arrived (MQTT
 * requires it), so a released message waits for older unreleased ones. The broker's in-flight window
 * (the connection's Receive Maximum) then bounds what is unacknowledged.
 *
 * Held PUBACKs are dropped when the connection closes: the broker delivers those messages again.
 *
 * This reaches into MQTT.js's `_sendPacket` (pinned by package-lock; test/integration/deferred-acks.test.ts
 * holds it to the real client and broker).
 * Should it be missing, `hold` says so and the connection falls back to one message in flight.
 */
export class DeferredAcks {
  private held: HeldAck[] = [];
  private capturing: HeldAck | null = null;
  private readonly send: SendPacket | null;

  constructor(private readonly client: MqttClient) {
    const internals = client as unknown as { _sendPacket?: SendPacket };
    const original = internals._sendPacket;
    if (typeof original !== 'function') {
      this.send = null;
      return;
    }
    this.send = original.bind(client);
    internals._sendPacket = (packet, cb, ...rest) => {
      if (this.capturing && packet.cmd === 'puback') {
        this.capturing.packet = packet;
        this.capturing = null;
        cb?.();
        return;
      }
      this.send!(packet, cb, ...rest);
    };
    client.on('close', () => {
      this.held = [];
    });
  }

  /** True when PUBACKs can be held (MQTT.js internals as expected). */
  get supported(): boolean {
    return this.send !== null;
  }

  /** Messages received whose PUBACK has not gone out yet. */
  get pending(): number {
    return this.held.length;
  }

  /**
   * Lets MQTT.js go on to the next packet and returns the function that acknowledges this message.
   * `ackNow` is the callback MQTT.js passed to `handleMessage`.
   */
  hold(ackNow: () => void): () => void {
    if (!this.send) return ackNow;
    const entry: HeldAck = { packet: null, released: false };
    this.capturing = entry;
    ackNow();
    this.capturing = null;
    if (!entry.packet) return () => undefined; // MQTT.js sent nothing to hold (not a QoS 1 message)
    const queue = this.held;
    queue.push(entry);
    return () => {
      // A message from before a reconnect: the broker sends it again, and that copy is acknowledged.
      if (queue !== this.held || entry.released) return;
      entry.released = true;
      this.flush();
    };
  }

  private flush(): void {
    let n = 0;
    while (n < this.held.length && this.held[n].released) n++;
    if (n === 0) return;
    const ready = this.held.splice(0, n);
    // One write for the lot instead of one per PUBACK.
    const stream = this.client.stream as { cork?: () => void; uncork?: () => void } | undefined;
    stream?.cork?.();
    for (const entry of ready) this.send!(entry.packet!);
    stream?.uncork?.();
  }
}
