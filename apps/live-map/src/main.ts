import 'reflect-metadata';
import { loadConfig } from '@fleet/config';
import { logLevels, runService } from '@fleet/service-kit';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { LiveMapModule } from './app.module';
import { LiveMapConfig } from './config/live-map.config';

runService('live-map', async () => {
  const config = loadConfig(LiveMapConfig);
  const app = await NestFactory.create(LiveMapModule.register(config), {
    logger: logLevels(config.LOG_LEVEL),
  });
  app.enableShutdownHooks();
  await app.listen(config.LIVE_MAP_PORT);
  new Logger('live-map').log(`ready on :${config.LIVE_MAP_PORT}`);
});
