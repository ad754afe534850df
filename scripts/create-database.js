// Creates the database named in DATABASE_URL when it does not exist yet.
const { Client } = require('pg');

const target = new URL(process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/fleet');
const name = decodeURIComponent(target.pathname.slice(1));
const admin = new URL(target.toString());
admin.pathname = '/postgres';

(async () => {
  const client = new Client({ connectionString: admin.toString() });
  await client.connect();
  const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [name]);
  if (!rowCount) {
    await client.query(`create database "${name.replace(/"/g, '""')}"`);
    console.log(`[setup] created database ${name}`);
  }
  await client.end();
})().catch((err) => {
  console.error(`[setup] ERROR: cannot create database ${name}: ${err.message}`);
  process.exit(1);
});
