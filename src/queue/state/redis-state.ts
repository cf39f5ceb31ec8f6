import type { Job, Queue } from 'bullmq';
import { Cluster, type ChainableCommander } from 'ioredis';
import type { RedisClient } from '../connection.js';
import { deadLetterQueueName, PARTITION_SEPARATOR, queueHashTag, queueKeyPrefix, queueName, schemaOfQueue } from '../queue-names.js';
import type { BatchFlowState, DiscoveredSchema, PublishedHealth, RawJobFields } from './batchflow-state.js';

/** Field set on a DLQ job's hash when its replay is enqueued (in the same MULTI when it can be). */
export const REPLAYED_FIELD = 'bfReplayedAs';
const MARK_REPLAYED = "if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end return 0";

/** BullMQ's keys that are non-empty while a queue holds a job in that state (Redis deletes an emptied list or set). */
const QUEUE_STATES = ['wait', 'paused', 'active', 'prioritized', 'delayed', 'failed', 'waiting-children'];

/** Keys per SCAN step: large enough to sweep a big keyspace quickly, small enough not to block Redis. */
const SCAN_COUNT = 1000;

/**
 * BatchFlow's state in Redis: every key under its queue's hash tag, so one schema's keys share a
 * Redis Cluster slot (the layout registry, the health board) and a DLQ replay is one MULTI.
 */
export class RedisState implements BatchFlowState {
  readonly backend = 'redis';

  constructor(readonly redis: RedisClient) {}

  async registerQueues(prefix: string, schema: string, queues: readonly string[]): Promise<void> {
    if (queues.length > 0) await this.redis.sadd(registryKey(prefix, schema), ...queues);
  }

  registeredQueues(prefix: string, schema: string): Promise<string[]> {
    return this.redis.smembers(registryKey(prefix, schema));
  }

  /** One `EXISTS` per queue over its and its DLQ's state keys (they share the queue's hash tag: one slot on a cluster). */
  async queuesHoldingWork(prefix: string, names: readonly string[]): Promise<string[]> {
    const held = await Promise.all(
      names.map(async (name) => {
        const keyPrefix = queueKeyPrefix(prefix, name);
        const keys = [name, deadLetterQueueName(name)].flatMap((queue) => QUEUE_STATES.map((state) => `${keyPrefix}:${queue}:${state}`));
        return (await this.redis.exists(...keys)) > 0;
      }),
    );
    return names.filter((_, i) => held[i]);
  }

  async publishHealth(prefix: string, schema: string, health: PublishedHealth, ttlMs: number): Promise<void> {
    const keys = boardKeys(prefix, schema);
    // The index outlives each entry a little and is refreshed by every publish; readers drop ids whose key expired.
    await this.redis
      .multi()
      .set(keys.consumer(health.consumerId), JSON.stringify(health), 'PX', ttlMs)
      .sadd(keys.index, health.consumerId)
      .pexpire(keys.index, ttlMs * 2)
      .exec();
  }

  async readHealth(prefix: string, schema: string): Promise<PublishedHealth[]> {
    const keys = boardKeys(prefix, schema);
    const ids = await this.redis.smembers(keys.index);
    if (ids.length === 0) return [];
    const values = await this.redis.mget(...ids.map(keys.consumer));
    const expired = ids.filter((_, i) => !values[i]);
    if (expired.length > 0) await this.redis.srem(keys.index, ...expired);
    return values.flatMap((value) => parseHealth(value));
  }

  /**
   * From the `meta` key BullMQ keeps per queue (`<prefix>:{orders}:orders:meta`, and the DLQ's
   * `…:orders.dlq:meta`). Uses `SCAN` (on a cluster, on every master), never `KEYS`.
   */
  async discoverSchemas(prefix: string): Promise<DiscoveredSchema[]> {
    const pattern = `${escapeGlob(prefix)}:{*}:*:meta`;
    const nodes = this.redis instanceof Cluster ? this.redis.nodes('master') : [this.redis];
    const queues: string[] = [];
    for (const node of nodes) {
      for await (const keys of node.scanStream({ match: pattern, count: SCAN_COUNT }) as AsyncIterable<string[]>) {
        for (const key of keys) {
          const queue = queueOfMetaKey(key, prefix);
          if (queue !== undefined) queues.push(queue);
        }
      }
    }
    return schemasOfQueues(queues);
  }

  async readRawJob(queue: Queue, id: string): Promise<RawJobFields> {
    return this.redis.hgetall(queue.toKey(id));
  }

  /** BullMQ pages a Redis list oldest first itself (`LRANGE` from the tail). */
  async waitingPage(): Promise<undefined> {
    return undefined;
  }

  async isReplayed(dlq: Queue, job: Job): Promise<boolean> {
    return (await this.redis.hexists(dlq.toKey(job.id as string), REPLAYED_FIELD)) === 1;
  }

  /** The mark is a field of the entry's hash: removing the entry removed it. */
  async pruneReplayMarks(): Promise<number> {
    return 0;
  }

  /** Home queue: one MULTI with the mark (same hash slot), so a crash leaves both or neither. */
  async enqueueReplay(home: Queue, target: Queue, replayed: Job, dlq: Queue, dlqJob: Job, jobId: string): Promise<void> {
    const dlqKey = dlq.toKey(dlqJob.id as string);
    if (target !== home) {
      await replayed.addJob(await target.getBackend().client);
      await this.redis.eval(MARK_REPLAYED, 1, dlqKey, REPLAYED_FIELD, jobId);
      return;
    }
    const multi = (await home.getBackend().client).multi();
    await replayed.addJob(multi);
    (multi as unknown as ChainableCommander).eval(MARK_REPLAYED, 1, dlqKey, REPLAYED_FIELD, jobId);
    for (const [err] of (await multi.exec()) ?? []) if (err) throw err;
  }
}

/** Schemas and partition counts from queue names (`orders`, `orders#2`, `orders.dlq`, `orders#2.dlq`). */
export function schemasOfQueues(queues: Iterable<string>): DiscoveredSchema[] {
  const partitions = new Map<string, number>();
  for (const queue of queues) {
    const name = schemaOfQueue(queue);
    const base = queueHashTag(queue);
    const at = base.lastIndexOf(PARTITION_SEPARATOR);
    const count = at === -1 ? 1 : Number(base.slice(at + 1)) + 1;
    partitions.set(name, Math.max(partitions.get(name) ?? 1, Number.isInteger(count) ? count : 1));
  }
  return [...partitions].map(([name, count]) => ({ name, partitions: count })).sort((a, b) => a.name.localeCompare(b.name));
}

/** A published health value, or nothing for one that does not parse. */
export function parseHealth(value: string | null | undefined): PublishedHealth[] {
  try {
    return value ? [JSON.parse(value) as PublishedHealth] : [];
  } catch {
    return [];
  }
}

/**
 * The layout registry: a Redis set beside the schema's own queue (`<prefix>:{orders}:orders:bf-layouts`,
 * one slot), so finding another layout is one SMEMBERS instead of a SCAN (which on a cluster would visit every master).
 */
function registryKey(prefix: string, schema: string): string {
  return `${queueKeyPrefix(prefix, queueName(schema))}:${queueName(schema)}:bf-layouts`;
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

/** `orders` from `<prefix>:{orders}:orders:meta` (also `orders.dlq`, `orders#2`); undefined for keys of other shapes. */
function queueOfMetaKey(key: string, prefix: string): string | undefined {
  const rest = key.slice(prefix.length + 1, -':meta'.length);
  const match = /^\{([^}]+)\}:(.+)$/.exec(rest);
  if (!match) return undefined;
  const [, tag, queue] = match as unknown as [string, string, string];
  // Only BatchFlow's layout: the hash tag is the queue's own tag (schema, or schema#n).
  if (queueHashTag(queue) !== tag && deadLetterQueueName(tag) !== queue) return undefined;
  return queue;
}

/** A prefix taken literally in a SCAN pattern. */
function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}
