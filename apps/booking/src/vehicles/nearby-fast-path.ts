import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { nearbyAnswer } from './nearby.controller';
import type { NearbyIndexService } from './nearby-index.service';

/** The search of a plainly valid GET /vehicles/nearby. */
export interface NearbySearch {
  lat: number;
  lon: number;
  radius: number;
  limit: number;
}

type Listener = (req: IncomingMessage, res: ServerResponse) => void;
/** A Connect-style middleware, as `cors()` makes. */
export type Middleware = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

/** Decimal degrees, as apps send them: no exponent, sign, spaces, hex or percent-encoding. */
const DEGREES = /^-?\d{1,3}(?:\.\d{1,17})?$/;
const COUNT = /^\d{1,4}$/;

/**
 * The search of a nearby query string (after the `?`) when it is plainly valid: `lat` and `lon` as
 * decimal degrees within range, `radius` 1-5000 and `limit` 1-100 as plain integers, each at most
 * once, nothing else. Undefined for anything else, valid or not, which NearbyQuery judges.
 * Never accepts what NearbyQuery refuses (nearby-fast-path.spec.ts).
 */
export function plainNearbySearch(query: string): NearbySearch | undefined {
  let lat: number | undefined;
  let lon: number | undefined;
  let radius: number | undefined;
  let limit: number | undefined;
  let start = 0;
  while (start <= query.length) {
    let end = query.indexOf('&', start);
    if (end < 0) end = query.length;
    const eq = query.indexOf('=', start);
    if (eq < 0 || eq > end) return undefined;
    const value = query.slice(eq + 1, end);
    switch (query.slice(start, eq)) {
      case 'lat':
        if (lat !== undefined || !DEGREES.test(value)) return undefined;
        lat = Number(value);
        if (lat < -90 || lat > 90) return undefined;
        break;
      case 'lon':
        if (lon !== undefined || !DEGREES.test(value)) return undefined;
        lon = Number(value);
        if (lon < -180 || lon > 180) return undefined;
        break;
      case 'radius':
        if (radius !== undefined || !COUNT.test(value)) return undefined;
        radius = Number(value);
        if (radius < 1 || radius > 5000) return undefined;
        break;
      case 'limit':
        if (limit !== undefined || !COUNT.test(value)) return undefined;
        limit = Number(value);
        if (limit < 1 || limit > 100) return undefined;
        break;
      default:
        return undefined;
    }
    start = end + 1;
  }
  if (lat === undefined || lon === undefined) return undefined;
  return { lat, lon, radius: radius ?? 1000, limit: limit ?? 20 };
}

/** The per-address limit of nearby searches, as NearbyLimit counts it. */
export interface NearbyRequestLimit {
  /** Counts the request; the seconds its client must wait when over the limit, else 0. */
  retryAfterS(req: IncomingMessage): Promise<number>;
}

/**
 * Whether a request reaches the nearby route, by any spelling Express would route there (its routing
 * ignores case and a trailing slash): the limit counts all of them, not only the fast path's.
 */
export function isNearbyRequest(method: string | undefined, url: string, prefix = '/api/v1'): boolean {
  if (method !== 'GET' && method !== 'HEAD') return false;
  const q = url.indexOf('?');
  const path = (q < 0 ? url : url.slice(0, q)).toLowerCase();
  const route = `${prefix.toLowerCase()}/vehicles/nearby`;
  return path === route || path === `${route}/`;
}

/**
 * Answers plainly valid `GET <prefix>/vehicles/nearby` searches straight from the server's request
 * event, ahead of Express and Nest, and hands every other request to the listener the server had.
 *
 * Why: the search itself takes about 55 µs, while Express's router and Nest's guard, pipes
 * (class-transformer, class-validator) and interceptors took about 0.25 ms of CPU per request (0.61
 * -> 0.38 ms with Node's HTTP), and left garbage that aged into the old generation. At 1,000
 * searches a second its major collections were what held the p99 above 10 ms (bench/README.md).
 *
 * What the route would do is kept: the answer is `nearbyAnswer` of the same index, and the CORS
 * headers come from the same `cors` middleware the app uses. The route is public, so there is no
 * guard to pass. Anything else (another path or method, an odd or invalid query, an error while
 * answering) goes through Express and Nest, which answer with the API's error shape.
 *
 * With a `limit`, every request to the nearby route, fast or not, is counted here first (one store
 * round trip: with Redis, one script call on the connection every request shares) and answered 429
 * with Retry-After, in the API's error shape and with CORS headers, once its address is over it.
 */
export function answerNearbyAhead(
  server: Server,
  nearbyCars: Pick<NearbyIndexService, 'find'>,
  cors: Middleware,
  limit?: NearbyRequestLimit,
  prefix = '/api/v1',
): void {
  const path = `${prefix}/vehicles/nearby?`;
  const [rest, ...others] = server.listeners('request') as Listener[];
  if (!rest || others.length > 0) throw new Error('expected the HTTP server to have one request listener');
  server.removeListener('request', rest);

  const answer = (req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '';
    const search =
      req.method === 'GET' && url.startsWith(path) ? plainNearbySearch(url.slice(path.length)) : undefined;
    if (!search) return rest(req, res);
    cors(req, res, (err) => {
      if (err) return rest(req, res);
      let body: string;
      try {
        body = JSON.stringify(
          nearbyAnswer(nearbyCars.find(search.lat, search.lon, search.radius, search.limit)),
        );
      } catch {
        return rest(req, res); // the route answers, or reports the error as every route does
      }
      res.writeHead(200, {
        'Content-Type': 'application/json; charset=utf-8',
        'Content-Length': Buffer.byteLength(body),
      });
      res.end(body);
    });
  };

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (!limit || !isNearbyRequest(req.method, req.url ?? '', prefix)) return answer(req, res);
    limit
      .retryAfterS(req)
      .then((retryAfterS) => (retryAfterS > 0 ? refuse(req, res, cors, retryAfterS) : answer(req, res)))
      .catch((err: Error) => res.destroy(err)); // a bug of ours: the store itself fails open
  });
}

/** 429 TOO_MANY_REQUESTS as the API's error filter writes it, with Retry-After and CORS headers. */
function refuse(req: IncomingMessage, res: ServerResponse, cors: Middleware, retryAfterS: number): void {
  // Answered whatever the CORS middleware says: passing the request on would let it through.
  cors(req, res, () => {
    const body = JSON.stringify({
      statusCode: 429,
      code: 'TOO_MANY_REQUESTS',
      message: `too many nearby searches from this address; try again in ${retryAfterS} s`,
    });
    res.writeHead(429, {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': Buffer.byteLength(body),
      'Retry-After': String(retryAfterS),
    });
    res.end(body);
  });
}
