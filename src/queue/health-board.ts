import type { Redis } from 'ioredis';
import type { BreakerState, HoldCause } from '../core/circuit-breaker.js';
import { queueName } from './queue-names.js';

/** One consumer's health as published in Redis, for tools that cannot ask it directly (`batchflow stats`). */
export interface PublishedHealth {
  readonly consumerId: string;
  readonly breaker: BreakerState;
  readonly holding: { readonly reason: string; readonly code: string | null; readonly message: string } | null;
  /** ISO-8601 time of publication. */
  readonly at: string;
}

function keyPrefix(prefix: string, schema: string): string {
  return `${prefix}:${queueName(schema)}:bf-health:`;
}

/** Publishes a consumer's health; it expires after `ttlMs`, so a crashed worker's state does not linger. */
export async function publishHealth(redis: Redis, prefix: string, schema: string, consumerId: string, health: { breaker: BreakerState; holding: HoldCause | undefined }, ttlMs: number): Promise<void> {
  const published: PublishedHealth = {
    consumerId,
    breaker: health.breaker,
    holding: health.holding ? { reason: health.holding.reason, code: health.holding.code ?? null, message: health.holding.message } : null,
    at: new Date().toISOString(),
  };
  await redis.set(`${keyPrefix(prefix, schema)}${consumerId}`, JSON.stringify(published), 'PX', ttlMs);
}

/** The health every live consumer of `schema` published (at most a few keys per schema: one per consumer). */
export async function readHealth(redis: Redis, prefix: string, schema: string): Promise<PublishedHealth[]> {
  const pattern = `${keyPrefix(prefix, schema).replace(/[*?[\]\\]/g, '\\$&')}*`;
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    keys.push(...found);
  } while (cursor !== '0');
  if (keys.length === 0) return [];
  const values = await redis.mget(...keys);
  return values.flatMap((value) => {
    try {
      return value ? [JSON.parse(value) as PublishedHealth] : [];
    } catch {
      return [];
    }
  });
}
