import { AccessTokens, Role, TokenConfig } from '@fleet/auth';
import { configuredSecret } from '@fleet/config';
import { randomBytes } from 'node:crypto';
import type { Client } from 'pg';

/** An account with an open session and an access token for it, as login would give. */
export interface TestSession {
  userId: string;
  sessionId: string;
  email: string;
  token: string;
}

/**
 * Makes an account of `role` with a session straight in the database and signs an access token for
 * it with `secret` (the services' JWT_SECRET; by default the environment's, else the development one): for benchmarks and tests that need a caller the
 * services accept without going through login. The token lives `ttlS` (at most 15 minutes).
 */
export async function openTestSession(
  client: Client,
  role: Role,
  {
    secret = configuredSecret('JWT_SECRET'),
    ttlS = 900,
    mfa = false,
  }: { secret?: string; ttlS?: number; mfa?: boolean } = {},
): Promise<TestSession> {
  const email = `${role}-${randomBytes(4).toString('hex')}@fleet.test`;
  const { rows: users } = await client.query<{ id: string }>(
    `INSERT INTO users (email, name, role) VALUES ($1, $2, $3) RETURNING id`,
    [email, `Test ${role}`, role],
  );
  const amr = mfa ? ['pwd', 'otp'] : ['pwd'];
  const { rows: sessions } = await client.query<{ id: string }>(
    `INSERT INTO sessions (user_id, expires_at, amr) VALUES ($1, now() + interval '1 day', $2) RETURNING id`,
    [users[0].id, amr],
  );
  const config = Object.assign(new TokenConfig(), { JWT_SECRET: secret });
  const token = await new AccessTokens(config).sign(
    { sub: users[0].id, sid: sessions[0].id, email, role, amr },
    ttlS,
  );
  return { userId: users[0].id, sessionId: sessions[0].id, email, token };
}
