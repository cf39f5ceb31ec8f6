import { Redis, type RedisOptions } from 'ioredis';
import { redactCommandCredentials } from '../core/redact-credentials.js';

/** Where Redis is: a `redis://` URL or ioredis options. */
export type RedisConnection = string | RedisOptions;

/**
 * Creates an ioredis client for BullMQ. Workers need `maxRetriesPerRequest: null` so blocking
 * commands survive reconnects; producers instead fail fast (`failFast`) so `submit()` rejects with
 * a clear error while Redis is down rather than hanging in ioredis's offline queue.
 */
export function createRedis(connection: RedisConnection, role: 'worker' | 'producer'): Redis {
  const roleOptions: RedisOptions =
    role === 'worker'
      ? { maxRetriesPerRequest: null }
      : { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 5000 };
  const redis = typeof connection === 'string' ? new Redis(connection, roleOptions) : new Redis({ ...connection, ...roleOptions });
  // First listener on the client: a refused AUTH is scrubbed before any other listener, or any
  // command it rejects, can log it (the same error object reaches all of them).
  redis.on('error', redactCommandCredentials);
  return redis;
}

/** Redacts the password in a Redis URL, for logs and error messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '<unparseable url>';
  }
}
