import type { z } from 'zod';
import type { BatchExecutor } from '../core/batch-executor.js';
import type { SQLSchema } from '../core/schema.js';
import type { DialectSchemaRules, TableShape } from '../core/schema-diff.js';
import type { SinkError } from '../errors/sink-error.js';

/** What every `sinks.<name>` entry of the worker config has: its `type`, which picks the definition. */
export interface SinkConfigBase {
  readonly type: string;
}

/** A validated `sinks.<name>` entry; its other fields are the ones its definition's `config` shape allows. */
export type SinkConfig = SinkConfigBase & { readonly [field: string]: unknown };

/** An executor the worker owns: it closes it at shutdown. */
export interface SinkExecutor extends BatchExecutor {
  close(): Promise<void>;
}

/** Where a sink entry sits, for error messages and relative paths. */
export interface SinkContext {
  /** Dotted field of the entry, e.g. `sinks.main`: errors name it (`sinks.main.path`). */
  readonly field: string;
  /** Directory relative paths in the entry are resolved against (the config file's, or the working directory). */
  readonly baseDir: string;
}

/**
 * Which schemas a sink takes: `table` (a SQL schema with `table`, `conflict` and keys), `plain`
 * (a schema without a table, e.g. Redis commands) or `any` (a plug-in decides for itself).
 */
export type SinkSchemaKind = 'table' | 'plain' | 'any';

/** `CREATE TABLE` support, for the worker's `createTable: true` start-up step. */
export interface SinkTables<C extends SinkConfigBase> {
  /** `CREATE TABLE IF NOT EXISTS` for a typed schema, quoted for the dialect. */
  createTableSql(schema: SQLSchema, config: C): string;
  /**
   * Idempotent statements that create a schema's delete tombstone table (schemas with
   * `tombstones: true`) from its data table's key and version columns; run after the data tables.
   * Absent for sinks without deletes.
   */
  tombstoneTableSql?(schema: SQLSchema, config: C): string[];
  /**
   * Runs the statements over a short-lived connection of its own (the executor's pool is for
   * batches), preparing what the sink needs first (a SQLite file's directory).
   */
  createTables(config: C, statements: readonly string[]): Promise<void>;
}

/**
 * Table introspection, for the start-up schema check and `batchflow check` (see
 * `checkSinkSchemas`): what the tables look like and how the dialect's types compare.
 */
export interface SinkIntrospection<C extends SinkConfigBase> {
  /** The dialect's type compatibility table and name rules (the entry may change them: SQLite's `timestampFormat`). */
  rules(config: C): DialectSchemaRules;
  /**
   * Reads each table's columns and unique indexes over a short-lived connection of its own, in
   * order; a missing table comes back with `exists: false`.
   */
  readTables(config: C, tables: readonly string[]): Promise<TableShape[]>;
  /** `ALTER TABLE … ADD COLUMN` for a missing nullable column (`evolve: 'add-columns'`), quoted for the dialect; run through `tables.createTables`. */
  addColumnSql(schema: SQLSchema, column: string, config: C): string;
}

/**
 * Everything BatchFlow needs to know about one kind of sink, exported by its folder
 * (`src/drivers/<db>/<db>-sink.ts`) and listed in the registry (`src/drivers/registry.ts`).
 * The config loader, the worker service and the CLI iterate the registry (the benchmark and
 * the conformance suite keep their own adapters per type, in `bench/sinks/` and `test/conformance/`), so adding a sink is one folder plus one registry line.
 *
 * Importing a definition loads no database client: `createExecutor` and `createTables` load
 * theirs with a dynamic import, and a missing package fails with a `MissingClientError`
 * naming it.
 *
 * @example
 * ```ts
 * export const jsonlSink = defineSink({
 *   type: 'jsonl',
 *   title: 'JSON lines file',
 *   schemas: 'plain',
 *   clientPackages: [],
 *   config: z.strictObject({ type: z.literal('jsonl'), file: nonEmpty }),
 *   describe: (config) => `jsonl:${config.file}`,
 *   createExecutor: async (config, context) => new JsonlWriter(resolve(context.baseDir, config.file)),
 *   classifyError: (err) => classifyNodeError(err),
 * });
 * ```
 */
export interface SinkDefinition<C extends SinkConfigBase = SinkConfig> {
  /** The `type` of its `sinks.<name>` entries, e.g. `postgres`. Unique in the registry. */
  readonly type: C['type'];
  /** Human name for docs and reports, e.g. `PostgreSQL`. */
  readonly title: string;
  /** Which schemas it takes. */
  readonly schemas: SinkSchemaKind;
  /** npm packages it loads at run time (optional peer dependencies), e.g. `['pg']`. */
  readonly clientPackages: readonly string[];
  /** The zod shape of a `sinks.<name>` entry, with `type` as a literal. */
  readonly config: z.ZodType<C>;
  /** One line for logs, secrets redacted (e.g. the URL without its password). */
  describe(config: C): string;
  /** The executor for an entry; loads the client library lazily. */
  createExecutor(config: C, context: SinkContext): Promise<SinkExecutor>;
  /** Classifies an error of its client into a `SinkError` by code (its error table). */
  classifyError(err: unknown): SinkError;
  /** `CREATE TABLE` support; absent for sinks without tables. */
  readonly tables?: SinkTables<C>;
  /** Table introspection for the schema check; absent for sinks without tables (the check skips them). */
  readonly introspect?: SinkIntrospection<C>;
}

/**
 * Declares a sink definition (frozen), checking its shape at compile time.
 * @example `export const postgresSink = defineSink<PostgresSinkConfig>({ type: 'postgres', … });`
 */
export function defineSink<C extends SinkConfigBase>(definition: SinkDefinition<C>): SinkDefinition<C> {
  return Object.freeze(definition);
}
