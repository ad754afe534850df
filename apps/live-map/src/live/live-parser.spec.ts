import { Encoder, PacketType } from 'socket.io-parser';
import { LiveEncoder, PreEncoded } from './live-parser';

describe('LiveEncoder', () => {
  const payload = {
    vehicles: [
      {
        id: 'a',
        lat: 52.52,
        lon: 13.405,
        state: 'available',
        locked: true,
        online: true,
        updatedAt: '2026-11-21T10:00:00.000Z',
      },
      { id: 'b"quoted', lat: -1.5, lon: 0, state: 'on_trip', locked: null, online: false, updatedAt: 'x' },
    ],
    removed: ['c', 'd\n'],
  };
  const pre = new PreEncoded(JSON.stringify(payload), payload);

  it('writes a pre-encoded event exactly as the default encoder writes the plain one', () => {
    for (const nsp of ['/live', '/']) {
      const packet = { type: PacketType.EVENT, nsp, data: ['updates', payload] };
      expect(new LiveEncoder().encode({ ...packet, data: ['updates', pre] })).toEqual(
        new Encoder().encode(packet),
      );
    }
  });

  it('leaves every other packet to the default encoder (acks, plain events)', () => {
    const ack = { type: PacketType.ACK, nsp: '/live', id: 7, data: [{ ok: true }] };
    expect(new LiveEncoder().encode(ack)).toEqual(new Encoder().encode(ack));
    const stats = { type: PacketType.EVENT, nsp: '/live', data: ['stats', { total: 3 }] };
    expect(new LiveEncoder().encode(stats)).toEqual(new Encoder().encode(stats));
    // A pre-encoded payload anywhere else is written through its plain value.
    const withAck = { type: PacketType.EVENT, nsp: '/live', id: 3, data: ['updates', pre] };
    expect(new LiveEncoder().encode(withAck)).toEqual(
      new Encoder().encode({ ...withAck, data: ['updates', payload] }),
    );
  });
});
