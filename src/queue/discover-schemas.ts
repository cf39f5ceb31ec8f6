import { Cluster } from 'ioredis';
import type { RedisClient } from './connection.js';
import { deadLetterQueueName, PARTITION_SEPARATOR, queueHashTag, schemaOfQueue } from './queue-names.js';

/** A schema found in Redis: its name and how many partition queues it has. */
export interface DiscoveredSchema {
  readonly name: string;
  /** 1, or the number of `<schema>#<n>` queues found (the highest partition number + 1). */
  readonly partitions: number;
}

/** Keys per SCAN step: large enough to sweep a big keyspace quickly, small enough not to block Redis. */
const SCAN_COUNT = 1000;

/**
 * The schemas whose queues exist under `prefix`, found from the `meta` key BullMQ keeps per queue
 * (`<prefix>:{orders}:orders:meta`, and the DLQ's `…:orders.dlq:meta`), so tools such as
 * `batchflow dlq` and `stats` see schemas defined only in an app's code, given the Redis URL
 * and prefix. Uses `SCAN` (on a cluster, on every master), never `KEYS`.
 */
export async function discoverSchemas(redis: RedisClient, prefix: string): Promise<DiscoveredSchema[]> {
  const pattern = `${escapeGlob(prefix)}:{*}:*:meta`;
  const nodes = redis instanceof Cluster ? redis.nodes('master') : [redis];
  const partitions = new Map<string, number>();
  for (const node of nodes) {
    for await (const keys of node.scanStream({ match: pattern, count: SCAN_COUNT }) as AsyncIterable<string[]>) {
      for (const key of keys) {
        const queue = queueOfMetaKey(key, prefix);
        if (queue === undefined) continue;
        const name = schemaOfQueue(queue);
        const base = queueHashTag(queue);
        const at = base.lastIndexOf(PARTITION_SEPARATOR);
        const count = at === -1 ? 1 : Number(base.slice(at + 1)) + 1;
        partitions.set(name, Math.max(partitions.get(name) ?? 1, Number.isInteger(count) ? count : 1));
      }
    }
  }
  return [...partitions].map(([name, count]) => ({ name, partitions: count })).sort((a, b) => a.name.localeCompare(b.name));
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
