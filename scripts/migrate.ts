import 'reflect-metadata';
import { migrate } from '@fleet/domain';

const url = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/fleet';
migrate(url)
  .then((ran) =>
    console.log(ran.length ? `[setup] migrated: ${ran.join(', ')}` : '[setup] schema up to date'),
  )
  .catch((err: Error) => {
    console.error(`[setup] ERROR: migration failed: ${err.message}`);
    process.exit(1);
  });
