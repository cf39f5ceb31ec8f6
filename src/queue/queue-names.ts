/**
 * Default Redis key prefix for every BatchFlow queue. Each queue's keys also carry a hash tag of
 * its schema (see {@link queueKeyPrefix}), so the default works on Redis Cluster unchanged.
 */
export const DEFAULT_PREFIX = 'batchflow';

/** Name of a schema's queue: the schema name itself (already a safe identifier). */
export function queueName(schema: string): string {
  return schema;
}

/** Name of a schema's dead-letter queue. `.` cannot occur in a schema name, so it never clashes. */
export function deadLetterQueueName(schema: string): string {
  return `${schema}.dlq`;
}

const DLQ_SUFFIX = '.dlq';

/**
 * The hash tag of a queue: its name without the `.dlq` suffix, so a schema's queue and its DLQ
 * share one tag (and one Redis Cluster slot: a DLQ replay is one MULTI over both), while
 * different schemas get different tags and spread over the masters.
 */
export function queueHashTag(name: string): string {
  return name.endsWith(DLQ_SUFFIX) ? name.slice(0, -DLQ_SUFFIX.length) : name;
}

/**
 * The BullMQ `prefix` of queue `name` under the user's `prefix`: `batchflow:{orders}` for the
 * queue `orders` and for `orders.dlq`, so its keys read `batchflow:{orders}:orders:wait`. Redis
 * Cluster hashes only what is inside the first `{…}`, and BullMQ needs every key of one queue in
 * one slot. Applied on standalone Redis as well, so one key layout serves both.
 */
export function queueKeyPrefix(prefix: string, name: string): string {
  return `${prefix}:{${queueHashTag(name)}}`;
}
