import { DataSource, EntityManager } from 'typeorm';

/**
 * Runs parameterised SQL and returns its rows. TypeORM's postgres driver answers UPDATE and DELETE
 * with `[rows, affectedCount]` and everything else with the rows; this evens that out.
 */
export async function queryRows<T>(
  db: DataSource | EntityManager,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  const result: unknown = await db.query(sql, params);
  if (
    Array.isArray(result) &&
    result.length === 2 &&
    Array.isArray(result[0]) &&
    typeof result[1] === 'number'
  ) {
    return result[0] as T[];
  }
  return result as T[];
}
