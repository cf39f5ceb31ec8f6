export { RedisDriver, REDIS_DRIVER_DEFAULTS, type RedisDriverOptions } from './redis-driver.js';
export type { RedisClientLike, RedisCommandQueue } from './redis-client.js';
export {
  DEFAULT_REDIS_ALLOWLIST,
  NEVER_ALLOWED_REDIS_COMMANDS,
  REDIS_BAD_COMMAND,
  REDIS_COMMAND_NOT_ALLOWED,
} from './command-builder.js';
export { REDIS_ERROR_PREFIXES, classifyRedisError, redisErrorPrefix, type RedisErrorClass } from './error-codes.js';
export * from './redis-sink.js';
