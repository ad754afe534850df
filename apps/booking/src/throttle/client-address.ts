import { normalizeIp } from '@nestjs/throttler';
import { registerDecorator, ValidatorConstraint, ValidatorConstraintInterface } from 'class-validator';
import type { IncomingMessage } from 'node:http';
import proxyaddr from 'proxy-addr';

/** Whether the hop at `address`, `hop` steps from this server (0: the socket's peer), is a proxy of ours. */
export type TrustProxy = (address: string, hop: number) => boolean;

/**
 * The trust rule of a TRUST_PROXY setting: `false` (or `0`) believes no X-Forwarded-For, a hop count
 * `n` the last n hops (`1`: one load balancer in front), a comma-separated list the proxies at those
 * addresses, CIDRs or `loopback`/`linklocal`/`uniquelocal`. Express's `trust proxy` reads the same
 * values; `true` is refused, since it lets any client choose its own address. Throws on anything else.
 */
export function trustProxy(setting: string): TrustProxy {
  const value = setting.trim();
  if (value === 'false') return () => false;
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    return (_address, hop) => hop < hops;
  }
  if (value === 'true') throw new TypeError('true would let any client choose its address: give a hop count');
  return proxyaddr.compile(value.split(',').map((part) => part.trim()));
}

/** TRUST_PROXY is a setting `trustProxy` accepts (a class-validator rule). */
@ValidatorConstraint({ name: 'trustProxy' })
export class TrustProxySetting implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    if (typeof value !== 'string') return false;
    try {
      trustProxy(value);
      return true;
    } catch {
      return false;
    }
  }

  defaultMessage(): string {
    return 'TRUST_PROXY must be false, a hop count, or a comma-separated list of addresses, CIDRs, loopback, linklocal or uniquelocal';
  }
}

/** The config rule of TRUST_PROXY (a decorator of its own, so the config needs no other import). */
export function IsTrustProxy(): PropertyDecorator {
  return (target, property) =>
    registerDecorator({
      target: target.constructor,
      propertyName: String(property),
      validator: TrustProxySetting,
    });
}

/**
 * The client address of a request under TRUST_PROXY: the one function both Express (`req.ip`, through
 * its `trust proxy` setting) and the nearby fast path, which answers before Express, read it with.
 */
export class ClientAddresses {
  constructor(readonly trust: TrustProxy) {}

  /** The socket's peer, or the address a trusted proxy says it forwarded for. */
  of(req: IncomingMessage): string {
    return proxyaddr(req, this.trust) ?? '';
  }

  /** What limits per address count: the address, an IPv6 one by its /64 (one subscriber's network). */
  trackerOf(req: IncomingMessage): string {
    return normalizeIp(this.of(req));
  }
}
