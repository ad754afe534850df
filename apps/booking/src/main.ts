import 'reflect-metadata';
import { loadConfig } from '@fleet/config';
import { logLevels, runService } from '@fleet/service-kit';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { BookingModule } from './app.module';
import { BookingConfig } from './config/booking.config';

runService('booking', async () => {
  const config = loadConfig(BookingConfig);
  const app = await NestFactory.create(BookingModule.register(config), {
    logger: logLevels(config.LOG_LEVEL),
  });
  app.enableShutdownHooks();
  await app.listen(config.BOOKING_PORT);
  new Logger('booking').log(`ready on :${config.BOOKING_PORT}`);
});
