/**
 * Default Redis key prefix for every BatchFlow queue. Each queue's keys also carry a hash tag of
 * its schema (see {@link queueKeyPrefix}), so the default works on Redis Cluster unchanged.
 */
export const DEFAULT_PREFIX = 'batchflow';

/** Name of a schema's queue: the schema name itself (already a safe identifier). */
export function queueName(schema: string): string {
  return schema;
}

/**
 * Separates a schema's name from its partition number in a partition's queue name (`orders#2`).
 * `#` cannot occur in a schema name, and BullMQ allows it in queue names.
 */
export const PARTITION_SEPARATOR = '#';

/**
 * Name of partition `partition` of a schema spread over `partitions` queues: the schema's own
 * name when it has one partition (today's queue and keys, unchanged), `<schema>#<partition>`
 * otherwise. Each is its own hash tag (`{orders#2}`), so partitions spread over cluster masters.
 */
export function partitionQueueName(schema: string, partition: number, partitions: number): string {
  return partitions <= 1 ? queueName(schema) : `${schema}${PARTITION_SEPARATOR}${partition}`;
}

/** Every queue of a schema, partition 0 first: one name, or `<schema>#0` … `<schema>#<N-1>`. */
export function schemaQueueNames(schema: { readonly name: string; readonly partitions?: number }): string[] {
  const partitions = schema.partitions ?? 1;
  return Array.from({ length: Math.max(1, partitions) }, (_, p) => partitionQueueName(schema.name, p, partitions));
}

/** The schema a queue name belongs to: `orders#2` and `orders#2.dlq` belong to `orders`. */
export function schemaOfQueue(name: string): string {
  const base = queueHashTag(name);
  const at = base.lastIndexOf(PARTITION_SEPARATOR);
  return at === -1 ? base : base.slice(0, at);
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
