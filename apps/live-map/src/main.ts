import 'reflect-metadata';
import { loadConfig, secretProblems } from '@fleet/config';
import { logLevels, runService } from '@fleet/service-kit';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { resolve } from 'node:path';
import { LiveMapModule } from './app.module';
import { LiveMapConfig } from './config/live-map.config';

/** The project's root, from the sources (apps/live-map/src) or the built service (dist/apps/live-map). */
const ROOT = resolve(__dirname, '../../..');
/** The page's own files. */
const WEB_DIR = resolve(ROOT, 'apps/live-map/web');
/** A browser library's dist folder, served under /vendor/<name>/ (no CDN: the page works offline). */
const vendor = (pkg: string) => resolve(ROOT, 'node_modules', pkg, 'dist');

runService('live-map', async () => {
  const config = loadConfig(LiveMapConfig);
  const problems = secretProblems(config);
  if (problems.length) throw new Error(`cannot start: ${problems.join('; ')}`);
  const app = await NestFactory.create<NestExpressApplication>(LiveMapModule.register(config), {
    logger: logLevels(config.LOG_LEVEL),
  });
  app.useStaticAssets(WEB_DIR, { index: 'index.html' });
  for (const pkg of ['leaflet', 'supercluster'])
    app.useStaticAssets(vendor(pkg), { prefix: `/vendor/${pkg}/` });
  app.enableShutdownHooks();
  await app.listen(config.LIVE_MAP_PORT, config.BIND_HOST);
  new Logger('live-map').log(`ready on ${config.BIND_HOST}:${config.LIVE_MAP_PORT}`);
});
