import 'reflect-metadata';
import { loadConfig } from '@fleet/config';
import { logLevels, runService, superviseWorkers } from '@fleet/service-kit';
import { Logger, RequestMethod } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import cluster from 'node:cluster';
import cors from 'cors';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { BookingModule } from './app.module';
import { useRequestBodyParsers } from './common/request-body';
import { RequestValidationPipe } from './common/validation';
import { apiDocsPublic, BookingConfig, startProblems } from './config/booking.config';
import { answerNearbyAhead } from './vehicles/nearby-fast-path';
import { NearbyIndexService } from './vehicles/nearby-index.service';
import { ClientAddresses } from './throttle/client-address';
import { NearbyLimit } from './throttle/nearby-limit';

runService('booking', async () => {
  const config = loadConfig(BookingConfig);
  const problems = startProblems(config);
  if (problems.length) throw new Error(`cannot start: ${problems.join('; ')}`);
  if (config.BOOKING_WORKERS > 1 && cluster.isPrimary)
    return superviseWorkers('booking', config.BOOKING_WORKERS);
  const app = await NestFactory.create<NestExpressApplication>(BookingModule.register(config), {
    logger: logLevels(config.LOG_LEVEL),
    bodyParser: false, // useRequestBodyParsers, below
  });
  app.setGlobalPrefix('api/v1', { exclude: [{ path: 'health', method: RequestMethod.GET }] });
  app.useGlobalPipes(new RequestValidationPipe());
  const corsHeaders = cors({
    origin: config.BOOKING_CORS_ORIGINS === '*' ? true : config.BOOKING_CORS_ORIGINS.split(','),
    exposedHeaders: ['Location'],
    maxAge: 600,
  });
  app.use(corsHeaders);
  // req.ip, and every limit per address, by the same rule as the nearby fast path's.
  app.set('trust proxy', app.get(ClientAddresses).trust);
  const nearbyLimit = app.get(NearbyLimit);
  answerNearbyAhead(
    app.getHttpServer(),
    app.get(NearbyIndexService),
    corsHeaders,
    nearbyLimit.enabled ? nearbyLimit : undefined,
  );
  useRequestBodyParsers(app);
  app.enableShutdownHooks();
  if (apiDocsPublic(config)) {
    const document = SwaggerModule.createDocument(
      app,
      new DocumentBuilder().setTitle('Fleet booking API').setVersion('1').addBearerAuth().build(),
    );
    SwaggerModule.setup('api/docs', app, document, { jsonDocumentUrl: 'api/docs-json' });
  }
  await app.listen(config.BOOKING_PORT, config.BIND_HOST);
  new Logger('booking').log(`ready on ${config.BIND_HOST}:${config.BOOKING_PORT}`);
});
