import type { Logger } from 'pino';
import type { SchemaConfig } from '../src/config/worker-config.js';
import type { SchemaDiff } from '../src/core/schema-diff.js';
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
