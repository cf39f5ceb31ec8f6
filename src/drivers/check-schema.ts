import type { SchemaDiff } from '../core/schema-diff.js';
import { isSQLSchema, type Schema } from '../core/schema.js';
import { ConfigError } from '../errors/config-error.js';
import { MissingClientError } from '../errors/missing-client-error.js';
import { SchemaDriftError } from '../errors/schema-drift-error.js';
import { SinkError } from '../errors/sink-error.js';
import { checkSinkSchemas, type SchemaEvolve } from './check-schemas.js';
import { findSink } from './registry.js';
import type { SinkConfig } from './sink-definition.js';

/** Options of {@link checkSchema}. */
export interface CheckSchemaOptions {
  /** Create a missing table first (`CREATE TABLE IF NOT EXISTS`; the schema needs typed columns), and the delete tombstone table of a schema that keeps them. @defaultValue `false` */
  readonly createTable?: boolean;
  /** What the check may change: `'add-columns'` adds missing nullable columns. @defaultValue `'none'` */
  readonly evolve?: SchemaEvolve;
  /** Called with each DDL statement before it runs, e.g. to log it. @defaultValue none */
  readonly onStatement?: (sql: string) => void;
}

/**
 * The worker's start-up table setup, for library users: for each SQL schema, creates its table
 * when `createTable` is set and it is missing, then compares the table with the schema (columns,
 * types, nullability, keys) and throws a `SchemaDriftError` listing what differs, before any
 * consumer could take a job it would have to hold. `sink` is what a `sinks.<name>` entry of the
 * worker config holds (`{ type: 'postgres', url }`, `{ type: 'mysql', url }`, `{ type: 'sqlite',
 * path }`), and the check runs over a short-lived connection of its own. A sink it cannot reach
 * fails with a `SinkError` whose message names the sink and its code.
 *
 * @example
 * ```ts
 * await checkSchema({ type: 'postgres', url: process.env.PG_URL }, [users], { createTable: true });
 * ```
 */
export async function checkSchema(sink: SinkConfig, schemas: readonly Schema[], options: CheckSchemaOptions = {}): Promise<SchemaDiff[]> {
  const definition = findSink(sink.type);
  if (!definition) throw new ConfigError('sink.type', `no sink of type "${String(sink.type)}" is registered`);
  const parsed = definition.config.safeParse(sink);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`sink.${issue?.path.join('.') ?? ''}`.replace(/\.$/, ''), issue?.message ?? 'invalid');
  }
  const config = parsed.data;
  const where = `${config.type} sink ${definition.describe(config)}`;
  try {
    if (options.createTable) {
      const tables = definition.tables;
      if (!tables) throw new ConfigError('createTable', `a ${config.type} sink cannot create tables`);
      const sqlSchemas = schemas.filter(isSQLSchema);
      // The data tables first, then the tombstone tables copied from them.
      const sql = [...sqlSchemas.map((schema) => tables.createTableSql(schema, config)), ...sqlSchemas.flatMap((schema) => tables.tombstoneTableSql?.(schema, config) ?? [])];
      for (const statement of sql) options.onStatement?.(statement);
      if (sql.length > 0) await tables.createTables(config, sql);
    }
    const diffs = await checkSinkSchemas(config, schemas.map((schema) => ({ schema, evolve: options.evolve ?? 'none', createTable: options.createTable === true })), {
      onStatement: (statement) => options.onStatement?.(statement),
    });
    if (diffs.some((diff) => !diff.ok)) throw new SchemaDriftError(diffs);
    return diffs;
  } catch (err) {
    if (err instanceof ConfigError || err instanceof SchemaDriftError || err instanceof MissingClientError) throw err;
    const classified = definition.classifyError(err);
    const code = classified.sinkCode ? ` ${classified.sinkCode}` : '';
    throw new SinkError(classified.reason, `${where}: schema check failed (${classified.reason}${code}): ${(err as Error).message}`, { cause: err, sinkCode: classified.sinkCode });
  }
}
