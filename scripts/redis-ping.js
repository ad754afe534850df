// Exits 0 when the Redis of REDIS_URL (default: redis://127.0.0.1:6379) answers PING.
const Redis = require('ioredis');

const url = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
const redis = new Redis(url, {
  lazyConnect: true,
  connectTimeout: 2000,
  maxRetriesPerRequest: 0,
  retryStrategy: () => null, // one try: this is a probe
});
let reason; // the connection's own error says more than the rejected connect
redis.on('error', (err) => (reason = reason || err.message));
redis
  .connect()
  .then(() => redis.ping())
  .then(() => {
    redis.disconnect();
    process.exit(0);
  })
  .catch((err) => {
    console.error(reason || err.message);
    redis.disconnect();
    process.exit(1);
  });
