import { SchemaDefinitionError } from '../errors/schema-definition-error.js';
import { parseColumnType, type ColumnType, type ParsedColumnType, type Value, type ValueOf } from './column-type.js';
import { deliveryOf, type DeliveryGuarantee } from './delivery.js';
import { assertIdentifier, assertTableName } from './identifier.js';
import { rowVersion, versionedColumns, type RowVersion, type RowVersionOptions } from './row-version.js';
import { tombstonesOf, type TombstoneOptions, type Tombstones } from './tombstones.js';

/**
 * What happens when a row's key already exists in the table. `insert` is a plain `INSERT` for
 * append-only tables: it needs no key, and any unique conflict is a data error (the row is
 * dead-lettered alone), like Kafka Connect's `insert.mode=insert`.
 */
export type ConflictStrategy = 'ignore' | 'replace' | 'update' | 'insert';

/** A row as users submit it: column name to value. */
export type Row = Readonly<Record<string, Value>>;

/** Row type inferred from a typed column declaration: nullable columns become optional. */
export type RowOf<T extends Record<string, ColumnType>> = {
  readonly [K in keyof T as T[K] extends `${string}?` ? never : K]: ValueOf<T[K]>;
} & {
  readonly [K in keyof T as T[K] extends `${string}?` ? K : never]?: ValueOf<T[K]>;
};

/**
 * A named set of columns. Each schema has its own queue; a batch never mixes schemas.
 * `R` is the row type used for compile-time checking of `submit()`.
 */
export interface Schema<R extends Row = Row> {
  readonly kind: 'sql' | 'generic';
  /** Unique name; also the queue name. */
  readonly name: string;
  /** Column names in declaration order; requests store values in this order. */
  readonly columns: readonly string[];
  /** Declared types per column position, or undefined for seed-style (untyped) schemas. */
  readonly types: readonly ParsedColumnType[] | undefined;
  /** Column name to position. */
  readonly columnIndex: ReadonlyMap<string, number>;
  /**
   * Queues the schema is spread over (see docs/guides/partitions-and-cluster.md); 1 is one queue named after the
   * schema. Requests are routed by their partition key ({@link partitionKeyColumns}).
   */
  readonly partitions: number;
  /**
   * The routing columns ({@link SchemaOptions.partitionBy}, {@link SQLSchemaOptions.partitionBy});
   * unset means a SQL schema's keys, or a non-SQL schema's first column.
   */
  readonly partitionBy?: readonly string[];
  /** Phantom field carrying the row type; never set at run time. */
  readonly __row?: R;
}

/** A schema that targets a SQL table with a conflict strategy on its key columns. */
export interface SQLSchema<R extends Row = Row> extends Schema<R> {
  readonly kind: 'sql';
  readonly table: string;
  readonly conflict: ConflictStrategy;
  /** Key columns that identify a row for conflict handling (empty for `insert` without keys). */
  readonly keys: readonly string[];
  /** The version column (see `SQLSchemaOptions.versionColumn`); undefined without one. */
  readonly version?: RowVersion;
  /** See {@link SQLSchemaOptions.delivery}. */
  readonly delivery: DeliveryGuarantee;
  /** The exactly-once ledger table (see {@link SQLSchemaOptions.ledgerTable}); undefined for `at-least-once`. */
  readonly ledgerTable: string | undefined;
  /** The delete tombstones of a versioned schema (see {@link TombstoneOptions}); `false` when turned off knowingly; undefined when not chosen. */
  readonly tombstones?: Tombstones | false;
}

/** Options of {@link SQLSchema}. */
export interface SQLSchemaOptions extends RowVersionOptions, TombstoneOptions {
  /**
   * Columns that make up the table's primary or unique key, used for `ON CONFLICT` / upserts.
   * @defaultValue the first column
   */
  keys?: readonly string[];
  /**
   * Schema (and queue) name, when it must differ from the table name.
   * @defaultValue the table name, with a `.` namespace separator replaced by `_`
   */
  name?: string;
  /**
   * `exactly-once` records each request's delivery id (set by the queue from its job) in
   * {@link SQLSchemaOptions.ledgerTable} in the batch's own transaction, and skips requests
   * already recorded: a redelivered batch writes nothing twice, even without a key.
   * @defaultValue `'at-least-once'`
   */
  delivery?: DeliveryGuarantee;
  /**
   * The ledger table of `exactly-once` (created if missing), validated like the table name.
   * @defaultValue the table name + `__batchflow_ledger` (same namespace)
   */
  ledgerTable?: string;
  /**
   * Queues the schema is spread over: each partition is its own queue with its own Redis Cluster
   * hash tag, and requests with the same key columns always go to the same partition, in order.
   * @defaultValue 1 (one queue, named after the schema)
   */
  partitions?: number;
  /**
   * Columns whose values route a request to its partition. With `update`, `replace` or `ignore`
   * they must be some of the `keys` (so every request of one key still goes to one partition, in
   * order), e.g. `['tenant']` of keys `['tenant', 'id']`; with `insert` any columns.
   * @defaultValue the `keys`; a keyless `insert` schema spreads its requests round-robin
   */
  partitionBy?: readonly string[];
  /**
   * Last submit wins: `update` and `replace` write a row only when its version is newer than the
   * stored one (a stored NULL is older than any version), and inside one batch only the newest
   * submit of each key is written. Not allowed with `ignore`, nor on a key column.
   * @defaultValue none: last commit wins
   */
  versionColumn?: string;
  /**
   * Where the version comes from: `'submit'`, the producer's submit time (the schema adds the column
   * as a nullable `int64`; do not declare it), or `'row'`, a column you declare and fill
   * (int32, int64, float64 or timestamp).
   * @defaultValue `'submit'` when `versionColumn` is set
   */
  versionSource?: RowVersionOptions['versionSource'];
}

/** Options of {@link Schema} (a non-SQL schema). */
export interface SchemaOptions {
  /**
   * Queues the schema is spread over; requests are routed by {@link SchemaOptions.partitionBy}.
   * @defaultValue 1 (one queue, named after the schema)
   */
  partitions?: number;
  /**
   * Columns whose values route a request to its partition: requests that agree on them keep their
   * order. For the Redis driver name the key column (`['key']`): its first column is the command,
   * and routing by it would put every `SET` in one partition.
   * @defaultValue the first column
   */
  partitionBy?: readonly string[];
}

/** Most partitions one schema may have: each is a queue (and a DLQ) with its own keys and workers. */
export const MAX_PARTITIONS = 256;

const CONFLICTS: ReadonlySet<string> = new Set(['ignore', 'replace', 'update', 'insert']);

type Columns = readonly string[] | Readonly<Record<string, ColumnType>>;
type RowFor<C> = C extends readonly string[]
  ? Readonly<Record<C[number], Value>>
  : C extends Record<string, ColumnType>
    ? RowOf<C>
    : Row;

/**
 * Declares a SQL table schema.
 *
 * @example
 * ```ts
 * // seed style: untyped columns, key defaults to the first column
 * const users = SQLSchema('users', 'update', ['id', 'name', 'email']);
 * // typed: rows are validated before enqueue and TypeScript infers the row type
 * const events = SQLSchema('events', 'ignore', { id: 'int64', kind: 'string', at: 'timestamp', note: 'string?' });
 * ```
 */
export function SQLSchema<const C extends Columns>(
  table: string,
  conflict: ConflictStrategy,
  columns: C,
  options: SQLSchemaOptions = {},
): SQLSchema<RowFor<C>> {
  assertTableName(table);
  if (!CONFLICTS.has(conflict)) {
    throw new SchemaDefinitionError(`table "${table}": conflict must be ignore, replace, update or insert, got ${JSON.stringify(conflict)}`);
  }
  const name = options.name ?? table.replace('.', '_');
  const base = buildBase(name, versionedColumns(table, columns, options), `column of table "${table}"`, options.partitions);
  // A plain INSERT merges nothing, so it needs no key.
  const keys = options.keys ?? (conflict === 'insert' ? [] : [base.columns[0] as string]);
  if (keys.length === 0 && conflict !== 'insert') throw new SchemaDefinitionError(`table "${table}": keys must not be empty`);
  for (const key of keys) {
    if (!base.columnIndex.has(key)) {
      throw new SchemaDefinitionError(`table "${table}": key column "${key}" is not one of its columns`);
    }
  }
  const version = rowVersion(table, conflict, base, keys, options);
  const { delivery, ledgerTable } = deliveryOf(table, options);
  const tombstones = tombstonesOf(table, version, options);
  const partitionBy = checkPartitionBy(name, base.columnIndex, options.partitionBy);
  if (partitionBy && conflict !== 'insert') {
    const outside = partitionBy.find((column) => !keys.includes(column));
    // A routing column outside the key would send one key's requests to several partitions, out of order.
    if (outside !== undefined) throw new SchemaDefinitionError(`table "${table}": partitionBy column "${outside}" is not a key column (with conflict ${conflict}, partitionBy must be some of the keys)`);
  }
  return Object.freeze({ ...base, kind: 'sql' as const, table, conflict, keys: Object.freeze([...keys]), delivery, ledgerTable, ...(version && { version }), ...(tombstones !== undefined && { tombstones }), ...(partitionBy && { partitionBy }) });
}

/**
 * Declares a schema for a non-SQL sink (for example the Redis driver, whose first column is the command).
 *
 * @example
 * ```ts
 * const cache = Schema('cache', ['cmd', 'key', 'ttl', 'value']);
 * ```
 */
export function Schema<const C extends Columns>(name: string, columns: C, options: SchemaOptions = {}): Schema<RowFor<C>> {
  const base = buildBase(name, columns, `column of schema "${name}"`, options.partitions);
  const partitionBy = checkPartitionBy(name, base.columnIndex, options.partitionBy);
  return Object.freeze({ ...base, kind: 'generic' as const, ...(partitionBy && { partitionBy }) });
}

/** Validates `partitionBy` (non-empty, naming columns of the schema); a frozen copy, or undefined when unset. */
function checkPartitionBy(name: string, columnIndex: ReadonlyMap<string, number>, partitionBy: readonly string[] | undefined): readonly string[] | undefined {
  if (partitionBy === undefined) return undefined;
  if (partitionBy.length === 0) throw new SchemaDefinitionError(`schema "${name}": partitionBy must not be empty`);
  for (const column of partitionBy) {
    if (!columnIndex.has(column)) throw new SchemaDefinitionError(`schema "${name}": partitionBy column "${column}" is not one of its columns`);
  }
  return Object.freeze([...partitionBy]);
}

function buildBase(name: string, columns: Columns, what: string, partitions = 1) {
  assertIdentifier(name, 'schema');
  if (!Number.isInteger(partitions) || partitions < 1 || partitions > MAX_PARTITIONS) {
    throw new SchemaDefinitionError(`schema "${name}": partitions must be an integer from 1 to ${MAX_PARTITIONS}, got ${JSON.stringify(partitions)}`);
  }
  const names = Array.isArray(columns) ? [...(columns as readonly string[])] : Object.keys(columns);
  if (names.length === 0) throw new SchemaDefinitionError(`schema "${name}": at least one column is required`);
  const columnIndex = new Map<string, number>();
  for (const column of names) {
    assertIdentifier(column, what);
    if (columnIndex.has(column)) throw new SchemaDefinitionError(`schema "${name}": duplicate column "${column}"`);
    columnIndex.set(column, columnIndex.size);
  }
  let types: ParsedColumnType[] | undefined;
  if (!Array.isArray(columns)) {
    types = names.map((column) => {
      const declared = (columns as Record<string, string>)[column] as string;
      const parsed = parseColumnType(declared);
      if (!parsed) throw new SchemaDefinitionError(`schema "${name}": column "${column}" has unknown type ${JSON.stringify(declared)}`);
      return Object.freeze(parsed);
    });
  }
  return {
    name,
    columns: Object.freeze(names),
    types: types && Object.freeze(types),
    columnIndex,
    partitions,
  };
}

/** True when the schema targets a SQL table. */
export function isSQLSchema(schema: Schema): schema is SQLSchema {
  return schema.kind === 'sql';
}

/**
 * Columns whose values choose a request's partition: `partitionBy`, else a SQL schema's keys, else
 * the first column. Empty for a keyless `insert` schema: it has no order to keep, so its requests
 * are spread over the partitions instead ({@link splitByPartition}).
 */
export function partitionKeyColumns(schema: Schema): readonly string[] {
  return schema.partitionBy ?? (isSQLSchema(schema) ? schema.keys : [schema.columns[0] as string]);
}
