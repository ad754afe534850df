import type { IncomingMessage } from 'node:http';
import { ClientAddresses, trustProxy, TrustProxySetting } from './client-address';

/** A request from `peer` (the socket's address) with this X-Forwarded-For. */
function request(peer: string, forwardedFor?: string): IncomingMessage {
  const headers = forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor };
  return { headers, socket: { remoteAddress: peer }, connection: { remoteAddress: peer } } as never;
}

const addressOf = (setting: string, peer: string, forwardedFor?: string) =>
  new ClientAddresses(trustProxy(setting)).of(request(peer, forwardedFor));

describe('client address under TRUST_PROXY', () => {
  it('believes no X-Forwarded-For by default (false, 0)', () => {
    expect(addressOf('false', '203.0.113.9', '198.51.100.1')).toBe('203.0.113.9');
    expect(addressOf('0', '203.0.113.9', '198.51.100.1')).toBe('203.0.113.9');
  });

  it('believes as many hops as a hop count says, from the nearest', () => {
    // A client sent "1.1.1.1" itself; the load balancer appended the address it saw.
    expect(addressOf('1', '10.0.0.2', '1.1.1.1, 198.51.100.7')).toBe('198.51.100.7');
    expect(addressOf('2', '10.0.0.2', '1.1.1.1, 198.51.100.7')).toBe('1.1.1.1');
    expect(addressOf('1', '10.0.0.2')).toBe('10.0.0.2');
  });

  it('believes the proxies a list names, and nobody else', () => {
    const setting = 'loopback, 10.0.0.0/8';
    expect(addressOf(setting, '127.0.0.1', '198.51.100.7')).toBe('198.51.100.7');
    expect(addressOf(setting, '10.1.2.3', '1.1.1.1, 198.51.100.7')).toBe('198.51.100.7');
    expect(addressOf(setting, '10.1.2.3', '198.51.100.7, 10.0.0.5')).toBe('198.51.100.7');
    expect(addressOf(setting, '203.0.113.9', '198.51.100.7')).toBe('203.0.113.9'); // not a proxy of ours
  });

  it('counts an IPv6 client by its /64 and an IPv4-mapped one as IPv4', () => {
    const clients = new ClientAddresses(trustProxy('false'));
    expect(clients.trackerOf(request('2001:db8:1:2:3:4:5:6'))).toBe('2001:db8:1:2::/64');
    expect(clients.trackerOf(request('::ffff:198.51.100.7'))).toBe('198.51.100.7');
  });

  it.each(['true', 'yes', '300.1.1.1', '10.0.0.0/99', 'loopback,,', ''])(
    'refuses the setting %j',
    (setting) => {
      expect(new TrustProxySetting().validate(setting)).toBe(false);
    },
  );

  it.each(['false', '0', '1', '3', 'loopback', '10.0.0.0/8, 192.168.1.1', 'uniquelocal,linklocal', '::1'])(
    'accepts the setting %j',
    (setting) => expect(new TrustProxySetting().validate(setting)).toBe(true),
  );
});
