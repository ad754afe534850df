import { EventEmitter } from 'node:events';
import type { MqttClient, Packet } from 'mqtt';
import { DeferredAcks } from './deferred-acks';

/** The part of MqttClient DeferredAcks touches: `_sendPacket`, events, the stream. */
class FakeClient extends EventEmitter {
  written: number[] = [];
  corks = 0;
  stream = { cork: () => this.corks++, uncork: () => undefined };
  _sendPacket(packet: Packet, cb?: () => void): void {
    this.written.push((packet as { messageId: number }).messageId);
    cb?.();
  }
  /** What MQTT.js does for a QoS 1 message: handleMessage, whose callback sends the PUBACK. */
  deliver(acks: DeferredAcks, messageId: number): { release: () => void; nextPacketRead: boolean } {
    let nextPacketRead = false;
    const release = acks.hold(() =>
      this._sendPacket({ cmd: 'puback', messageId }, () => (nextPacketRead = true)),
    );
    return { release, nextPacketRead };
  }
}

function setup() {
  const client = new FakeClient();
  const acks = new DeferredAcks(client as unknown as MqttClient);
  return { client, acks };
}

describe('DeferredAcks', () => {
  it('lets the connection read on at once but holds the PUBACK until the message is released', () => {
    const { client, acks } = setup();
    const m = client.deliver(acks, 1);
    expect(m.nextPacketRead).toBe(true);
    expect(client.written).toEqual([]);
    expect(acks.pending).toBe(1);
    m.release();
    expect(client.written).toEqual([1]);
    expect(acks.pending).toBe(0);
  });

  it('sends PUBACKs in arrival order: a message released early waits for older ones', () => {
    const { client, acks } = setup();
    const [a, b, c] = [1, 2, 3].map((id) => client.deliver(acks, id));
    c.release();
    b.release();
    expect(client.written).toEqual([]);
    a.release();
    expect(client.written).toEqual([1, 2, 3]);
  });

  it('writes the PUBACKs that become ready together in one corked write', () => {
    const { client, acks } = setup();
    const [a, b] = [1, 2].map((id) => client.deliver(acks, id));
    b.release();
    a.release();
    expect(client.corks).toBe(1);
  });

  it('acknowledges a message once, however often it is released', () => {
    const { client, acks } = setup();
    const m = client.deliver(acks, 7);
    m.release();
    m.release();
    expect(client.written).toEqual([7]);
  });

  it('drops what it holds when the connection closes: the broker sends those messages again', () => {
    const { client, acks } = setup();
    const old = client.deliver(acks, 1);
    client.emit('close');
    const fresh = client.deliver(acks, 1);
    old.release();
    expect(client.written).toEqual([]);
    fresh.release();
    expect(client.written).toEqual([1]);
  });

  it('passes every other packet straight through', () => {
    const { client, acks } = setup();
    client.deliver(acks, 1);
    client._sendPacket({ cmd: 'pingreq' });
    expect(client.written).toHaveLength(1);
  });

  it('falls back to acknowledging at once when MQTT.js has no _sendPacket', () => {
    const bare = new EventEmitter() as unknown as MqttClient;
    const acks = new DeferredAcks(bare);
    let acked = false;
    const release = acks.hold(() => (acked = true));
    expect(acks.supported).toBe(false);
    expect(acked).toBe(false);
    release();
    expect(acked).toBe(true);
  });
});
