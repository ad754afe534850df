import { DynamicModule, Logger, Module } from '@nestjs/common';
import { BookingConfig } from '../config/booking.config';
import { ClientAddresses, trustProxy } from './client-address';
import { CounterStore } from './counter-store';
import { LoginBackoff } from './login-backoff';
import { MemoryCounterStore } from './memory-counter-store';
import { NearbyLimit } from './nearby-limit';
import { RedisCounterStore } from './redis-counter-store';

/** The counter store REDIS_URL asks for, said at start. */
function counterStore(config: BookingConfig): CounterStore {
  const logger = new Logger('RateLimits');
  if (config.REDIS_URL) {
    const { host } = new URL(config.REDIS_URL); // no credentials in the log
    logger.log(`rate limits are counted in Redis at ${host}, keys ${config.REDIS_KEY_PREFIX}*`);
    return new RedisCounterStore(config.REDIS_URL, config.REDIS_KEY_PREFIX);
  }
  // Production with several workers refuses to start without Redis (productionProblems); one process
  // may run so, but it is worth a warning there.
  logger[config.PRODUCTION ? 'warn' : 'log'](
    'rate limits are counted in this process only: set REDIS_URL to share them across processes and instances',
  );
  return new MemoryCounterStore();
}

/** Rate limits and login backoff: the shared counters, the client address rule, the per-account policy. */
@Module({})
export class ThrottleModule {
  static register(config: BookingConfig): DynamicModule {
    return {
      module: ThrottleModule,
      providers: [
        { provide: BookingConfig, useValue: config },
        { provide: CounterStore, useFactory: () => counterStore(config) },
        { provide: ClientAddresses, useValue: new ClientAddresses(trustProxy(config.TRUST_PROXY)) },
        LoginBackoff,
        NearbyLimit,
      ],
      exports: [CounterStore, ClientAddresses, LoginBackoff, NearbyLimit],
    };
  }
}
