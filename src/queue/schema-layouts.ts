import { MAX_PARTITIONS } from '../core/schema.js';
import type { RedisClient } from './connection.js';
import { deadLetterQueueName, partitionQueueName, queueKeyPrefix, queueName } from './queue-names.js';

/**
 * Every queue a schema's requests can sit in, whatever its `partitions` was when they were
 * submitted: the schema's own queue (`orders`, the layout of `partitions: 1`) and `orders#0` …
 * `orders#255`. A layout of N partitions is the first N of those; partition p is named `orders#p`
 * under every N > 1, so layouts share queues.
 */
export function candidateQueues(schema: string): string[] {
  return [queueName(schema), ...Array.from({ length: MAX_PARTITIONS }, (_, p) => partitionQueueName(schema, p, MAX_PARTITIONS))];
}

/**
 * The registry of the queues a schema's producers and consumers have used: a Redis set beside the
 * schema's own queue (`<prefix>:{orders}:orders:bf-layouts`, one slot), so finding another layout
 * is one SMEMBERS instead of a SCAN (which on a cluster would visit every master).
 */
function registryKey(prefix: string, schema: string): string {
  return `${queueKeyPrefix(prefix, queueName(schema))}:${queueName(schema)}:bf-layouts`;
}

/** Records that `queues` of `schema` are in use (idempotent). Producers call it before their first job in a queue. */
export async function registerQueues(redis: RedisClient, prefix: string, schema: string, queues: readonly string[]): Promise<void> {
  if (queues.length > 0) await redis.sadd(registryKey(prefix, schema), ...queues);
}

/** The queues of `schema` recorded in its registry, in partition order (the schema's own queue first). */
export async function registeredQueues(redis: RedisClient, prefix: string, schema: string): Promise<string[]> {
  const order = new Map(candidateQueues(schema).map((name, i) => [name, i]));
  const members = (await redis.smembers(registryKey(prefix, schema))).filter((name) => order.has(name));
  return members.sort((a, b) => (order.get(a) as number) - (order.get(b) as number));
}

/** BullMQ's keys that are non-empty while a queue holds a job in that state (Redis deletes an emptied list or set). */
const QUEUE_STATES = ['wait', 'paused', 'active', 'prioritized', 'delayed', 'failed', 'waiting-children'];

/**
 * The queues among `names` that hold anything: a job in any state but completed, in the queue
 * or in its DLQ. One `EXISTS` per queue over both key sets (they share the queue's hash tag, so
 * it is one slot on a cluster).
 */
export async function queuesHoldingWork(redis: RedisClient, prefix: string, names: readonly string[]): Promise<string[]> {
  const held = await Promise.all(
    names.map(async (name) => {
      const keyPrefix = queueKeyPrefix(prefix, name);
      const keys = [name, deadLetterQueueName(name)].flatMap((queue) => QUEUE_STATES.map((state) => `${keyPrefix}:${queue}:${state}`));
      return (await redis.exists(...keys)) > 0;
    }),
  );
  return names.filter((_, i) => held[i]);
}

/**
 * The queues of `schema` outside `own` (the caller's layout) that hold work or dead letters: those
 * in the registry, and with `probeAll` every candidate name too (what producers of a version
 * without the registry wrote). Those found by the probe are added to the registry, so later
 * cheap checks keep seeing them. Partition order.
 */
export async function otherLayoutQueues(redis: RedisClient, prefix: string, schema: string, own: readonly string[], probeAll = false): Promise<string[]> {
  const mine = new Set(own);
  const registered = new Set(await registeredQueues(redis, prefix, schema));
  const names = (probeAll ? candidateQueues(schema) : [...registered]).filter((name) => !mine.has(name));
  const holding = await queuesHoldingWork(redis, prefix, names);
  const unregistered = holding.filter((name) => !registered.has(name));
  await registerQueues(redis, prefix, schema, unregistered);
  const order = new Map(candidateQueues(schema).map((name, i) => [name, i]));
  return holding.sort((a, b) => (order.get(a) as number) - (order.get(b) as number));
}
