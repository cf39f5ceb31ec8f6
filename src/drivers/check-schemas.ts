import { compareSchema, withNotes, type SchemaDiff, type SchemaNote } from '../core/schema-diff.js';
import { isSQLSchema, type Schema, type SQLSchema } from '../core/schema.js';
import { findSink } from './registry.js';
import { compareTombstoneTable } from './sql/tombstone-check.js';
import { keepsTombstones } from './sql/tombstone-keeper.js';
import type { SinkConfig } from './sink-definition.js';

/** What `evolve` may change in a table at start: nothing, or add missing nullable columns. */
export type SchemaEvolve = 'none' | 'add-columns';

/** One schema to check on a sink, with what it may change. */
export interface SchemaCheckEntry {
  readonly schema: Schema;
  /** @defaultValue `'none'` */
  readonly evolve?: SchemaEvolve;
  /** The worker creates the table if missing; in a dry run a missing table is then no drift. @defaultValue `false` */
  readonly createTable?: boolean;
}

/** Options of {@link checkSinkSchemas}. */
export interface CheckSinkSchemasOptions {
  /** Called with each DDL statement before it runs (`evolve: 'add-columns'`), for the log. */
  readonly onStatement?: (sql: string, schema: SQLSchema) => void;
  /**
   * Run no DDL (`batchflow check`): a column `evolve` would add becomes a note saying so, not a
   * problem, since the worker would add it and start. @defaultValue `false`
   */
  readonly dryRun?: boolean;
}

/**
 * Compares each SQL schema of one sink with its table (columns, types, nullability, keys
 * against the primary key or a unique index, other unique indexes) through the sink
 * definition's `introspect`, over short-lived connections of its own. With `evolve:
 * 'add-columns'` it first adds the missing nullable columns (`ALTER TABLE … ADD COLUMN`, each
 * statement passed to `onStatement`), then compares again. A schema that keeps delete tombstones
 * also has its tombstone table checked (a note when missing, a problem when it cannot serve the
 * deletes). Resolves to one diff per SQL schema; a sink without introspection (Redis, a plug-in) or a schema without a table gives none.
 *
 * @example
 * ```ts
 * const diffs = await checkSinkSchemas({ type: 'postgres', url }, [{ schema: events, evolve: 'add-columns' }]);
 * if (diffs.some((d) => !d.ok)) throw new SchemaDriftError(diffs);
 * ```
 */
export async function checkSinkSchemas(sink: SinkConfig, entries: readonly SchemaCheckEntry[], options: CheckSinkSchemasOptions = {}): Promise<SchemaDiff[]> {
  const diffs = await checkDataTables(sink, entries, options);
  return withTombstoneTables(sink, entries, diffs);
}

/**
 * Adds each tombstone-keeping schema's tombstone table to its diff (see `compareTombstoneTable`):
 * a note when it is missing, problems when it cannot serve the deletes.
 */
async function withTombstoneTables(sink: SinkConfig, entries: readonly SchemaCheckEntry[], diffs: SchemaDiff[]): Promise<SchemaDiff[]> {
  const introspect = findSink(sink.type)?.introspect;
  const checked = entries.filter((entry): entry is SchemaCheckEntry & { schema: SQLSchema } => isSQLSchema(entry.schema));
  const keeping = checked.flatMap((entry, i) => (keepsTombstones(entry.schema) ? [{ schema: entry.schema, createTable: entry.createTable === true, i }] : []));
  if (!introspect || keeping.length === 0) return diffs;
  const shapes = await introspect.readTables(sink, keeping.map(({ schema }) => schema.tombstones.table));
  const out = [...diffs];
  keeping.forEach(({ schema, createTable, i }, n) => {
    const diff = out[i];
    const shape = shapes[n];
    if (!diff || !shape) return;
    const { problems, notes } = compareTombstoneTable(schema, shape, createTable);
    out[i] = withNotes({ ...diff, problems: [...diff.problems, ...problems], ok: diff.ok && problems.length === 0 }, notes);
  });
  return out;
}

/** The data tables' part of {@link checkSinkSchemas}. */
async function checkDataTables(sink: SinkConfig, entries: readonly SchemaCheckEntry[], options: CheckSinkSchemasOptions): Promise<SchemaDiff[]> {
  const introspect = findSink(sink.type)?.introspect;
  const checked = entries.filter((entry): entry is SchemaCheckEntry & { schema: SQLSchema } => isSQLSchema(entry.schema));
  if (!introspect || checked.length === 0) return [];
  const rules = introspect.rules(sink);
  const compareAll = async () => {
    const shapes = await introspect.readTables(sink, checked.map((entry) => entry.schema.table));
    return checked.map((entry, i) => compareSchema(entry.schema, shapes[i] ?? { table: entry.schema.table, exists: false, columns: [], uniqueIndexes: [] }, rules));
  };
  let first = await compareAll();
  if (options.dryRun) {
    // The worker would create a missing table with createTable: true, so it is no drift.
    first = first.map((diff, i) => {
      if (!checked[i]?.createTable || !diff.problems.some((problem) => problem.kind === 'missing-table')) return diff;
      return { ...diff, ok: true, problems: [], notes: [{ kind: 'table-created', message: `table ${diff.table} is missing: createTable: true would create it` }] };
    });
  }
  const added = new Map<number, SchemaNote[]>();
  const statements: string[] = [];
  first.forEach((diff, i) => {
    const entry = checked[i];
    if (!entry || entry.evolve !== 'add-columns') return;
    for (const problem of diff.problems) {
      if (problem.kind !== 'missing-column' || !problem.addable || problem.column === undefined) continue;
      const sql = introspect.addColumnSql(entry.schema, problem.column, sink);
      statements.push(sql);
      options.onStatement?.(sql, entry.schema);
      const verb = options.dryRun ? `evolve: 'add-columns' would run` : 'added by evolve';
      added.set(i, [...(added.get(i) ?? []), { kind: 'column-added', message: `column ${problem.column}: ${verb}: ${sql}` }]);
    }
  });
  if (statements.length === 0) return first;
  if (options.dryRun) {
    // What evolve would add at start is no drift: the worker would fix it and start.
    return first.map((diff, i) => {
      if (!added.has(i) || checked[i]?.evolve !== 'add-columns') return diff;
      const problems = diff.problems.filter((problem) => !problem.addable);
      return withNotes({ ...diff, problems, ok: problems.length === 0 }, added.get(i) ?? []);
    });
  }
  const tables = findSink(sink.type)?.tables;
  if (!tables) throw new Error(`sink type ${sink.type} has introspection but cannot run DDL (no tables.createTables)`);
  await tables.createTables(sink, statements);
  const second = await compareAll();
  return second.map((diff, i) => withNotes(diff, added.get(i) ?? []));
}
