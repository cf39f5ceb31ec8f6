import { Redis } from 'ioredis';
import { redisErrorPrefix } from './error-codes.js';

/**
 * A pipeline or MULTI block being built: queue commands by name, then send them all at once.
 * ioredis's `Pipeline` fits as is.
 */
export interface RedisCommandQueue {
  /** Queues one command by name with its arguments. */
  call(command: string, ...args: Array<string | Buffer>): unknown;
  /**
   * Sends the queued commands. Resolves with one `[error, result]` pair per command, where a
   * command's error reply is an error (not a rejection); `null` when a WATCHed transaction aborted.
   */
  exec(): Promise<Array<[error: Error | null, result: unknown]> | null>;
}

/**
 * The subset of a Redis client the driver uses, so you can pass your own client (its pool,
 * TLS, Sentinel or Cluster settings stay yours). An ioredis `Redis` or `Cluster` fits as is;
 * for another library, wrap it in these three methods.
 */
export interface RedisClientLike {
  /** Starts a plain pipeline: commands are sent together, not atomically. */
  pipeline(): RedisCommandQueue;
  /** Starts a MULTI/EXEC transaction. */
  multi(): RedisCommandQueue;
  /** Sends PING. */
  ping(): Promise<unknown>;
}

/**
 * Creates the ioredis client the driver owns when given a `url`. It is tuned for a batch writer
 * with a circuit breaker in front of it: fail fast and let the breaker wait, rather than queue
 * commands in memory for a long reconnect.
 */
export function createOwnedClient(url: string): Redis {
  const client = new Redis(url, {
    // A command waits through one reconnect attempt at most, then fails as `connection`.
    maxRetriesPerRequest: 1,
    connectionName: 'batchflow',
    // After a failover the old primary answers READONLY; reconnecting finds the new one.
    reconnectOnError: (err) => redisErrorPrefix(err) === 'READONLY',
  });
  // Every failure also reaches the command that hit it, classified; without a listener ioredis
  // would print each reconnect error (with host and port) to the console.
  client.on('error', () => {});
  return client;
}
