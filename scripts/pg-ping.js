// Exits 0 when the PostgreSQL server of DATABASE_URL answers (on its maintenance database).
const { Client } = require('pg');

const url = new URL(process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/fleet');
url.pathname = '/postgres';
const client = new Client({ connectionString: url.toString(), connectionTimeoutMillis: 3000 });
client
  .connect()
  .then(() => client.query('select 1'))
  .then(() => client.end())
  .then(() => process.exit(0))
  .catch((err) => {
    console.error(err.message);
    process.exit(1);
  });
