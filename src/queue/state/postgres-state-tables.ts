/**
 * BatchFlow's own tables in the PostgreSQL queue schema, beside BullMQ's (`job`, `meta`, …).
 * Created by `migrateQueueSchema()` after BullMQ's migrations; `IF NOT EXISTS`, so a repeat is nothing.
 * - `bf_layout`: the queues each schema's producers and consumers used (the layout registry);
 * - `bf_health`: one row per live consumer, with its expiry (the health board);
 * - `bf_replayed`: DLQ jobs whose request a replay re-enqueued, by the DLQ job's id and creation
 *   time, so an entry created later under the same id is not taken as replayed.
 */
export function stateTablesDdl(quotedSchema: string): string[] {
  const s = quotedSchema;
  return [
    `CREATE TABLE IF NOT EXISTS ${s}.bf_layout (schema_name text NOT NULL, queue text NOT NULL, PRIMARY KEY (schema_name, queue))`,
    `CREATE TABLE IF NOT EXISTS ${s}.bf_health (schema_name text NOT NULL, consumer_id text NOT NULL, health jsonb NOT NULL, expires_at_ms bigint NOT NULL, PRIMARY KEY (schema_name, consumer_id))`,
    `CREATE TABLE IF NOT EXISTS ${s}.bf_replayed (queue text NOT NULL, job_id text NOT NULL, job_ts bigint NOT NULL, replayed_as text NOT NULL, PRIMARY KEY (queue, job_id, job_ts))`,
  ];
}
