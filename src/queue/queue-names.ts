/** Default Redis key prefix for every BatchFlow queue. Use `{batchflow}` on Redis Cluster so keys share a slot. */
export const DEFAULT_PREFIX = 'batchflow';

/** Name of a schema's queue: the schema name itself (already a safe identifier). */
export function queueName(schema: string): string {
  return schema;
}

/** Name of a schema's dead-letter queue. `.` cannot occur in a schema name, so it never clashes. */
export function deadLetterQueueName(schema: string): string {
  return `${schema}.dlq`;
}
