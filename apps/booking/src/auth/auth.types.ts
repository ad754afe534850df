export type Role = 'driver' | 'operator';

/** Who is calling, from a verified access token. */
export interface Caller {
  id: string;
  email: string;
  role: Role;
}
