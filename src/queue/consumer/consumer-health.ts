import type { BreakerState, HoldCause } from '../../core/circuit-breaker.js';
import type { RedisClient } from '../connection.js';
import { queueKeyPrefix, queueName } from '../queue-names.js';

/** One consumer's health as published in Redis, for tools that cannot ask it directly (`batchflow stats`). */
export interface PublishedHealth {
  readonly consumerId: string;
  readonly breaker: BreakerState;
  readonly holding: { readonly reason: string; readonly code: string | null; readonly message: string } | null;
  /** ISO-8601 time of publication. */
  readonly at: string;
  /**
   * Rows this consumer committed per second since its previous publication (every
   * `queueDepthIntervalMs`, and on breaker changes); absent from consumers of older versions.
   * `batchflow stats` sums it over the live consumers of a schema: every worker, on any host.
   */
  readonly rowsPerSecond?: number;
  /** The consumer's process HTTP endpoint (its `endpoint` option), when it has one. */
  readonly endpoint?: string;
}

/**
 * Keys of a schema's health board, under its queue's hash tag so that all of them share one
 * Redis Cluster slot: one expiring key per consumer, and a set indexing them. Readers look keys up
 * through the index rather than `SCAN`, which on a cluster would have to visit every master.
 */
function boardKeys(prefix: string, schema: string): { index: string; consumer: (id: string) => string } {
  const base = `${queueKeyPrefix(prefix, queueName(schema))}:${queueName(schema)}:bf-health`;
  return { index: `${base}:index`, consumer: (id) => `${base}:${id}` };
}

/** Publishes a consumer's health; it expires after `ttlMs`, so a crashed worker's state does not linger. */
export async function publishHealth(
  redis: RedisClient,
  prefix: string,
  schema: string,
  consumerId: string,
  health: { breaker: BreakerState; holding: HoldCause | undefined; rowsPerSecond?: number; endpoint?: string | undefined },
  ttlMs: number,
): Promise<void> {
  const published: PublishedHealth = {
    consumerId,
    breaker: health.breaker,
    holding: health.holding ? { reason: health.holding.reason, code: health.holding.code ?? null, message: health.holding.message } : null,
    at: new Date().toISOString(),
    ...(health.rowsPerSecond !== undefined && { rowsPerSecond: health.rowsPerSecond }),
    ...(health.endpoint !== undefined && { endpoint: health.endpoint }),
  };
  const keys = boardKeys(prefix, schema);
  // The index outlives each entry a little and is refreshed by every publish; readers drop ids whose key expired.
  await redis
    .multi()
    .set(keys.consumer(consumerId), JSON.stringify(published), 'PX', ttlMs)
    .sadd(keys.index, consumerId)
    .pexpire(keys.index, ttlMs * 2)
    .exec();
}

/** The health every live consumer of `schema` published (at most a few keys per schema: one per consumer). */
export async function readHealth(redis: RedisClient, prefix: string, schema: string): Promise<PublishedHealth[]> {
  const keys = boardKeys(prefix, schema);
  const ids = await redis.smembers(keys.index);
  if (ids.length === 0) return [];
  const values = await redis.mget(...ids.map(keys.consumer));
  const expired = ids.filter((_, i) => !values[i]);
  if (expired.length > 0) await redis.srem(keys.index, ...expired);
  return values.flatMap((value) => {
    try {
      return value ? [JSON.parse(value) as PublishedHealth] : [];
    } catch {
      return [];
    }
  });
}
