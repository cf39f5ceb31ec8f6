import { SchemaDefinitionError } from '../errors/schema-definition-error.js';
import type { Value } from './column-type.js';

/**
 * Where a schema's row version comes from:
 * - `'submit'`: the producer stamps each request with its submit time (microseconds since the
 *   epoch, strictly increasing per producer process). The schema adds the column itself, as a
 *   nullable `int64`; you neither declare nor set it.
 * - `'row'`: a column you declare and fill (a counter, a source-system timestamp, an LSN…).
 */
export type VersionSource = 'submit' | 'row';

/** The version column of a SQL schema: a write of a key lands only when its version is newer than the stored one. */
export interface RowVersion {
  /** The column's name. */
  readonly column: string;
  /** Its position in the schema's columns. */
  readonly index: number;
  readonly source: VersionSource;
}

/** The options {@link versionedColumns} and {@link rowVersion} read (see `SQLSchemaOptions`). */
export interface RowVersionOptions {
  readonly versionColumn?: string;
  readonly versionSource?: VersionSource;
}

type DeclaredColumns = readonly string[] | Readonly<Record<string, string>>;

/** Types a `'row'` version may have: ones every dialect orders the way JavaScript does. */
const ORDERED_TYPES: ReadonlySet<string> = new Set(['int32', 'int64', 'float64', 'timestamp']);

/**
 * The declared columns, plus the version column when the producer stamps it (appended last, as
 * `int64?`: nullable, so rows written before the column existed, or by anything but the producer,
 * count as older than every stamped one). Unchanged without `versionColumn`.
 */
export function versionedColumns<C extends DeclaredColumns>(table: string, columns: C, options: RowVersionOptions): C {
  const column = options.versionColumn;
  if (column === undefined) {
    if (options.versionSource !== undefined) throw new SchemaDefinitionError(`table "${table}": versionSource needs a versionColumn`);
    return columns;
  }
  const source = options.versionSource ?? 'submit';
  if (source !== 'submit' && source !== 'row') {
    throw new SchemaDefinitionError(`table "${table}": versionSource must be 'submit' or 'row', got ${JSON.stringify(source)}`);
  }
  const declared = Array.isArray(columns) ? (columns as readonly string[]).includes(column) : Object.hasOwn(columns, column);
  if (source === 'submit') {
    if (declared) {
      throw new SchemaDefinitionError(`table "${table}": version column "${column}" is stamped by the producer (versionSource 'submit'), so do not declare it; or set versionSource: 'row' to fill it yourself`);
    }
    return (Array.isArray(columns) ? [...(columns as readonly string[]), column] : { ...columns, [column]: 'int64?' }) as unknown as C;
  }
  if (!declared) throw new SchemaDefinitionError(`table "${table}": version column "${column}" (versionSource 'row') is not one of its columns`);
  return columns;
}

/**
 * Checks and describes the schema's version column (undefined without one). Refused with
 * `ignore` and `insert`, which never overwrite a row, so a version would decide nothing; refused on a key
 * column, and with a `'row'` source on a type that does not order the same way everywhere.
 */
export function rowVersion(
  table: string,
  conflict: string,
  shape: { readonly columnIndex: ReadonlyMap<string, number>; readonly types: readonly { readonly base: string }[] | undefined },
  keys: readonly string[],
  options: RowVersionOptions,
): RowVersion | undefined {
  const column = options.versionColumn;
  if (column === undefined) return undefined;
  const source = options.versionSource ?? 'submit';
  if (conflict === 'ignore' || conflict === 'insert') {
    throw new SchemaDefinitionError(`table "${table}": versionColumn needs conflict 'update' or 'replace' ('${conflict}' never overwrites a row, so there is no version to compare)`);
  }
  if (keys.includes(column)) throw new SchemaDefinitionError(`table "${table}": version column "${column}" must not be a key column`);
  const index = shape.columnIndex.get(column) as number;
  const base = shape.types?.[index]?.base;
  if (source === 'row' && base !== undefined && !ORDERED_TYPES.has(base)) {
    throw new SchemaDefinitionError(`table "${table}": version column "${column}" is ${base}; it must be int32, int64, float64 or timestamp`);
  }
  return Object.freeze({ column, index, source });
}

/**
 * Orders two versions: negative when `a` is older. `null` is older than every value (the
 * statements treat a stored NULL the same way); numbers and bigints compare by value, dates by time.
 */
export function compareVersions(a: Value | undefined, b: Value | undefined): number {
  const x = a ?? null;
  const y = b ?? null;
  if (x === null || y === null) return x === y ? 0 : x === null ? -1 : 1;
  // Version columns are numeric or timestamps (checked when typed); anything else compares as JavaScript does.
  const p = (x instanceof Date ? x.getTime() : x) as number | bigint | string;
  const q = (y instanceof Date ? y.getTime() : y) as number | bigint | string;
  return p < q ? -1 : p > q ? 1 : 0;
}

/** The schema's version column when the producer stamps it (`versionSource: 'submit'`), else undefined. */
export function stampedVersion(schema: object): RowVersion | undefined {
  const version = (schema as { readonly version?: RowVersion }).version;
  return version?.source === 'submit' ? version : undefined;
}
