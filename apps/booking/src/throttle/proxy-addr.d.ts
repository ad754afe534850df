// The package Express itself reads X-Forwarded-For with (req.ip); it ships no types.
declare module 'proxy-addr' {
  import type { IncomingMessage } from 'node:http';

  /** Whether the hop at `address`, `hop` steps from this server (0: the socket's peer), may be believed. */
  type Trust = (address: string, hop: number) => boolean;

  /** The client's address: the socket's peer, or further along X-Forwarded-For while `trust` allows. */
  function proxyaddr(req: IncomingMessage, trust: Trust): string | undefined;

  namespace proxyaddr {
    /** The trust function of addresses, CIDRs, netmasks and `loopback`/`linklocal`/`uniquelocal`. */
    function compile(value: string | string[]): Trust;
    /** Every address of the request, nearest first, up to the first untrusted one. */
    function all(req: IncomingMessage, trust?: Trust): string[];
  }

  export = proxyaddr;
}
