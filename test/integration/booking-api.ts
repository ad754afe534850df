/** The fields of booking API answers the tests read. */
export interface ApiBody {
  statusCode?: number;
  code?: string;
  message?: string;
  fields?: { field: string; problems: string[] }[];
  id?: string;
  status?: string;
  accessToken?: string;
  createdAt?: string;
  expiresAt?: string;
  vehicles?: { id: string; distanceM: number }[];
  zones?: { name: string; kind: string; geometry: { type: string } }[];
}

export interface ApiRequest {
  method?: string;
  body?: unknown;
  token?: string;
  headers?: Record<string, string>;
}

/** A client of the booking service's REST API (`/api/v1`), as the apps use it. */
export class BookingApi {
  constructor(readonly baseUrl: string) {}

  async call<T = ApiBody>(path: string, init: ApiRequest = {}): Promise<{ status: number; body: T }> {
    const res = await fetch(`${this.baseUrl}/api/v1${path}`, {
      method: init.method ?? 'GET',
      headers: {
        ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
        ...init.headers,
      },
      body: init.body !== undefined ? JSON.stringify(init.body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : {}) as T };
  }

  /** Logs in and returns the access token (throws on failure). */
  async login(email: string, password: string): Promise<string> {
    const res = await this.call('/auth/login', { method: 'POST', body: { email, password } });
    if (!res.body.accessToken) throw new Error(`login of ${email} failed: ${JSON.stringify(res.body)}`);
    return res.body.accessToken;
  }

  /** Registers driver `driver-<n>@example.com` and returns their token. */
  async driver(n: string): Promise<string> {
    const email = `driver-${n}@example.com`;
    await this.call('/auth/register', {
      method: 'POST',
      body: { email, password: 'password-123', name: `Driver ${n}` },
    });
    return this.login(email, 'password-123');
  }
}

/** A business area for tests: central Berlin, a rectangle around Alexanderplatz. */
export const BERLIN_CENTRE = {
  type: 'Polygon',
  coordinates: [
    [
      [13.3, 52.45],
      [13.55, 52.45],
      [13.55, 52.6],
      [13.3, 52.6],
      [13.3, 52.45],
    ],
  ],
};
