import type { Logger } from 'pino';
import type { SchemaConfig } from './config/worker-config.js';
import type { BatchExecutor } from '../src/core/batch-executor.js';
import type { SchemaDiff } from '../src/core/schema-diff.js';
import { isSQLSchema } from '../src/core/schema.js';
import { ConfigError } from '../src/errors/config-error.js';
import { checkSinkSchemas } from '../src/drivers/check-schemas.js';
import type { SinkConfig } from '../src/drivers/sink-definition.js';
import type { DependencyWatch } from './dependency-watch.js';

/**
 * The worker's start-up schema check for one sink: compares its schemas with their tables
 * (adding missing nullable columns where `evolve: 'add-columns'` says so), logging each DDL
 * statement and one JSON line per table that drifted. A sink it cannot reach is reported and
 * skipped, as at any start: its batches wait in Redis until it answers. The caller refuses to
 * start when any returned diff is not `ok`.
 */
export async function checkSchemasAtStart(name: string, sink: SinkConfig, schemas: readonly SchemaConfig[], log: Logger, watch: DependencyWatch): Promise<SchemaDiff[]> {
  let diffs: SchemaDiff[];
  try {
    diffs = await checkSinkSchemas(sink, schemas, {
      onStatement: (sql, schema) => log.info({ event: 'schema-ddl', sink: name, schema: schema.name, sql }, `schema check: ${sql}`),
    });
  } catch (err) {
    if (!watch.reportSinkFailure(name, sink, err)) throw err;
    log.warn({ event: 'schema-check-skipped', sink: name }, `schema check of sink ${name} skipped: it cannot be reached`);
    return [];
  }
  for (const diff of diffs) {
    const fields = { sink: name, schema: diff.schema, table: diff.table, problems: diff.problems, notes: diff.notes.map((note) => note.message) };
    if (diff.ok) log.info({ event: 'schema-checked', ...fields }, `table ${diff.table} matches schema ${diff.schema}`);
    else log.error({ event: 'schema-drift', ...fields }, `table ${diff.table} does not match schema ${diff.schema}`);
  }
  return diffs;
}

/**
 * Creates the ledger table of each `delivery: 'exactly-once'` schema of one sink (`CREATE TABLE
 * IF NOT EXISTS`), logging the DDL. A sink it cannot reach is only logged: its driver creates
 * the ledger before its first batch anyway.
 */
export async function prepareLedgersAtStart(name: string, executor: BatchExecutor, schemas: readonly SchemaConfig[], log: Logger): Promise<void> {
  for (const { schema } of schemas) {
    if (!isSQLSchema(schema) || schema.delivery !== 'exactly-once') continue;
    if (!executor.ledger) throw new ConfigError(`sinks.${name}`, `schema "${schema.name}" is exactly-once, but its ${executor.sink} sink keeps no ledger`);
    try {
      const sql = await executor.ledger.prepare(schema);
      log.info({ event: 'ledger-ddl', sink: name, schema: schema.name, table: schema.ledgerTable, sql }, `exactly-once ledger: ${sql}`);
    } catch (err) {
      log.warn({ event: 'ledger-ddl-deferred', sink: name, schema: schema.name, err }, `ledger of ${schema.name} not created yet: the sink cannot be reached; its first batch creates it`);
    }
  }
}
