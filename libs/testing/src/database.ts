import { configuredSecret, SERVICE_ACCOUNTS } from '@fleet/config';
import { hashMqttPassword, migrate } from '@fleet/domain';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/** Migrated template of every test database (FLEET_TEST_TEMPLATE_DB: another name keeps two runs apart). */
export const TEMPLATE_DATABASE = process.env.FLEET_TEST_TEMPLATE_DB ?? 'fleet_test_template';

/** The server of DATABASE_URL (default: local PostgreSQL) with another database name. */
export function databaseUrl(name: string): string {
  const url = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/fleet');
  url.pathname = `/${name}`;
  return url.toString();
}

async function admin<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: databaseUrl('postgres') });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Recreates the migrated template database that every test database is cloned from (once a run). */
export async function prepareTemplateDatabase(): Promise<void> {
  await admin(async (c) => {
    await c.query(`UPDATE pg_database SET datistemplate = false WHERE datname = $1`, [TEMPLATE_DATABASE]);
    await c.query(`DROP DATABASE IF EXISTS ${TEMPLATE_DATABASE} WITH (FORCE)`);
    await c.query(`CREATE DATABASE ${TEMPLATE_DATABASE}`);
  });
  await migrate(databaseUrl(TEMPLATE_DATABASE));
  await admin((c) =>
    c.query(`UPDATE pg_database SET datistemplate = true WHERE datname = $1`, [TEMPLATE_DATABASE]),
  );
}

export interface TestDatabase {
  url: string;
  name: string;
  /** A client on the test database for assertions and fixtures. */
  client: Client;
  drop(): Promise<void>;
}

/** A fresh, migrated database for one test file, cloned from the template. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `fleet_test_${randomBytes(5).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE ${name} TEMPLATE ${TEMPLATE_DATABASE}`));
  const url = databaseUrl(name);
  const client = new Client({ connectionString: url });
  await client.connect();
  return {
    url,
    name,
    client,
    drop: async () => {
      await client.end();
      await admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

/**
 * The gateway's broker account as the services run in tests (the environment's, else this
 * installation's development secret): it may do anything, so tests use it to watch and to act as
 * the platform.
 */
export const TEST_SERVICE_ACCOUNT = {
  username: SERVICE_ACCOUNTS.gateway.username,
  password: configuredSecret('MQTT_GATEWAY_PASSWORD'),
};

/** The MQTT password of every vehicle `insertVehicles` registers (its username is the vehicle id). */
export const TEST_VEHICLE_PASSWORD = 'test-vehicle-secret';

let testVehicleHash: string | undefined;

/**
 * Registers vehicles directly in the database (what POST /vehicles does, without the API), each with
 * MQTT credentials: username = id, password TEST_VEHICLE_PASSWORD.
 */
export async function insertVehicles(
  client: Client,
  ids: string[],
  propulsion: 'combustion' | 'electric' = 'electric',
): Promise<void> {
  testVehicleHash ??= hashMqttPassword(TEST_VEHICLE_PASSWORD);
  await client.query(
    `INSERT INTO vehicles (id, plate, model, propulsion, mqtt_username, mqtt_password_hash)
     SELECT id, 'B-FL ' || row_number() OVER (), 'Test car', $2, id, $3 FROM unnest($1::text[]) AS id`,
    [ids, propulsion, testVehicleHash],
  );
}
