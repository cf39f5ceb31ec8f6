import { runMigrations, type PgQueryable } from 'bullmq';
import { PostgresQueueClient, type PostgresQueueConnection } from '../postgres-queue-client.js';
import { stateTablesDdl } from './postgres-state-tables.js';

/**
 * Creates or upgrades the PostgreSQL queue schema: BullMQ's migrations (in one transaction,
 * serialised across processes by BullMQ's advisory lock), then BatchFlow's own state tables.
 * Idempotent. `batchflow migrate` and the worker's start run it; a `Producer` never does, so an
 * app that enqueues needs no DDL rights. Resolves with BullMQ's schema version.
 *
 * @example
 * ```ts
 * await migrateQueueSchema({ postgres: 'postgres://app@db/app', schema: 'batchflow_queues' });
 * ```
 */
export async function migrateQueueSchema(connection: PostgresQueueConnection): Promise<number> {
  const client = new PostgresQueueClient(connection, 'producer');
  try {
    const session = await (await client.pool()).connect();
    try {
      // BullMQ's runMigrations needs one session (its advisory lock and transaction share it).
      const version = await runMigrations(session as unknown as PgQueryable, client.schema);
      // Workers starting together race on CREATE TABLE IF NOT EXISTS (a duplicate pg_type row):
      // one transaction under an advisory lock per schema, as BullMQ serialises its own migrations.
      await session.query('BEGIN');
      try {
        await session.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`batchflow:state:${client.schema}`]);
        for (const statement of stateTablesDdl(client.quotedSchema)) await session.query(statement);
        await session.query('COMMIT');
      } catch (err) {
        await session.query('ROLLBACK').catch(() => {});
        throw err;
      }
      return version;
    } finally {
      session.release();
    }
  } finally {
    client.disconnect();
  }
}
