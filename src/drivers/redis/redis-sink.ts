import { z } from 'zod';
import { bool, nonEmpty, redisUrl } from '../config-fields.js';
import { redactSecrets } from '../redact-secrets.js';
import { defineSink } from '../sink-definition.js';
import { toRedisSinkError } from './error-codes.js';

/** A `sinks.<name>` entry of type `redis`: the {@link RedisDriverOptions} with `url`. */
export const redisSinkConfig = z.strictObject({
  type: z.literal('redis'),
  url: redisUrl,
  allowlist: z.array(nonEmpty).optional(),
  transaction: bool.optional(),
});
/** A validated `redis` sink entry. */
export type RedisSinkConfig = z.infer<typeof redisSinkConfig>;

/**
 * The Redis sink: each request is one allowlisted command. Its schemas have no table. Its
 * client, ioredis, is a peer dependency of BullMQ, so it is always installed.
 */
export const redisSink = defineSink<RedisSinkConfig>({
  type: 'redis',
  title: 'Redis',
  schemas: 'plain',
  clientPackages: ['ioredis'],
  config: redisSinkConfig,
  describe: (config) => redactSecrets(config.url),
  async createExecutor({ type: _type, ...options }) {
    const { RedisDriver } = await import('./redis-driver.js');
    return new RedisDriver(options);
  },
  classifyError: (err) => toRedisSinkError(err, 'command failed'),
});
