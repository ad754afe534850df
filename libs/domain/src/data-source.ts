import { DataSource } from 'typeorm';
import { MIGRATIONS } from './migrations';

export interface DataSourceOptions {
  url: string;
  /** Largest number of pooled connections. */
  poolSize?: number;
  applicationName?: string;
}

/** The TypeORM DataSource of Fleet's database: hand-written migrations, never `synchronize`. */
export function createDataSource({
  url,
  poolSize = 10,
  applicationName = 'fleet',
}: DataSourceOptions): DataSource {
  return new DataSource({
    type: 'postgres',
    url,
    synchronize: false,
    migrationsRun: false,
    migrations: MIGRATIONS,
    migrationsTableName: 'fleet_migrations',
    entities: [],
    poolSize,
    applicationName,
    extra: { max: poolSize },
  });
}

/** Runs every pending migration in one transaction; returns the names it ran. */
export async function migrate(url: string): Promise<string[]> {
  const ds = createDataSource({ url, poolSize: 1, applicationName: 'fleet-migrate' });
  await ds.initialize();
  try {
    const ran = await ds.runMigrations({ transaction: 'all' });
    return ran.map((m) => m.name);
  } finally {
    await ds.destroy();
  }
}
