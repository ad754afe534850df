// Jest does not apply moduleNameMapper to globalSetup: resolve the @fleet/* aliases from tsconfig.
import 'tsconfig-paths/register';
import 'reflect-metadata';
import { prepareTemplateDatabase } from '@fleet/testing';

/** Once a run: a migrated template database that each test file clones. */
export default async function globalSetup(): Promise<void> {
  await prepareTemplateDatabase();
}
