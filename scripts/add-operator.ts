/**
 * Adds an operator, or makes an existing user one with this password:
 *   npm run operator:add -- <email> <password> [name]
 * Uses DATABASE_URL (default postgres://postgres@127.0.0.1:5432/fleet).
 */
import { Client } from 'pg';
import { hashPassword } from '@fleet/auth';

async function main(): Promise<void> {
  const [email, password, name = 'Operator'] = process.argv.slice(2);
  if (!email || !/^[^@\s]+@[^@\s]+$/.test(email) || !password || password.length < 8) {
    console.error('usage: npm run operator:add -- <email> <password of 8+ characters> [name]');
    process.exit(2);
  }
  const client = new Client({
    connectionString: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/fleet',
  });
  await client.connect();
  try {
    const { rows } = await client.query<{ id: string }>(
      `INSERT INTO users (email, name, role, password_hash) VALUES ($1, $2, 'operator', $3)
       ON CONFLICT (email) DO UPDATE SET role = 'operator', password_hash = EXCLUDED.password_hash
       RETURNING id`,
      [email.toLowerCase(), name, await hashPassword(password)],
    );
    console.log(`operator ${email.toLowerCase()} (${rows[0].id}) ready`);
  } finally {
    await client.end();
  }
}

main().catch((err: Error) => {
  console.error(`add-operator failed: ${err.message}`);
  process.exit(1);
});
