import type { BatchExecutor } from '../../src/core/batch-executor.js';
import type { BaseColumnType } from '../../src/core/column-type.js';

/** A column of a test table: logical type, NOT NULL or not, optional CHECK expression. */
export interface ColumnSpec {
  readonly type: BaseColumnType;
  readonly notNull?: boolean;
}

/** A row read back: int64 as decimal string, bytes as hex, timestamps as epoch ms, bools as booleans. */
export type ReadRow = Record<string, string | number | boolean | null>;

/**
 * One SQL dialect as the shared conformance suite sees it: create tables, read rows back in a
 * comparable form, hold a row lock from a second connection, and build drivers both ways
 * (driver-owned connection, and the user's own pool or database). Each SQL driver folder
 * implements it in `conformance.ts`, loaded through its sink definition's `conformance`.
 */
export interface DialectAdapter {
  /** The sink type, e.g. `postgres`. */
  readonly name: string;
  /** The code a unique violation carries as `sinkCode`: SQLSTATE, MySQL errno or SQLite extended result code. */
  readonly uniqueViolationCode: string;
  /** Quotes a table or column name for raw SQL in tests. */
  quote(name: string): string;
  /** Opens the adapter's own admin connection (not the driver's). */
  open(): Promise<void>;
  close(): Promise<void>;
  /** Runs raw DDL/DML on the admin connection. */
  exec(sql: string): Promise<void>;
  createTable(table: string, columns: Record<string, ColumnSpec>, key: readonly string[], extra?: string): Promise<void>;
  dropTable(table: string): Promise<void>;
  read(table: string, columns: Record<string, ColumnSpec>, orderBy?: string): Promise<ReadRow[]>;
  count(table: string): Promise<number>;
  /** A driver that opens and owns its own connection(s). */
  ownedDriver(): BatchExecutor;
  /** A driver on a pool/database the test owns; `dispose` closes it (after checking it still works). */
  userDriver(): Promise<{ driver: BatchExecutor; stillWorks: () => Promise<boolean>; dispose: () => Promise<void> }>;
  /** A driver whose connection enforces foreign keys (SQLite needs `PRAGMA foreign_keys = ON` per connection). */
  foreignKeyDriver(): { driver: BatchExecutor; dispose: () => Promise<void> };
  /**
   * From a second connection, inserts (`id`, 'held') into `table` (id, name) without committing, so a driver writing the
   * same key waits for the lock. Resolves to a function that rolls that back.
   * Undefined for SQLite, whose busy wait is synchronous (see the error-classification suite).
   */
  readonly holdKey?: (table: string, id: number) => Promise<() => Promise<void>>;
}


/** `CREATE TABLE` for a test table (no `IF NOT EXISTS`: each test makes its own). */
export function conformanceDdl(q: string, types: Readonly<Record<BaseColumnType, string>>, table: string, columns: Record<string, ColumnSpec>, key: readonly string[], extra?: string): string {
  const cols = Object.entries(columns).map(([name, spec]) => `${q}${name}${q} ${types[spec.type]}${spec.notNull ? ' NOT NULL' : ''}`);
  // No key: an append-only table (the `insert` strategy) has no primary key.
  const primary = key.length > 0 ? [`PRIMARY KEY (${key.map((k) => q + k + q).join(', ')})`] : [];
  const parts = [...cols, ...primary, ...(extra ? [extra] : [])];
  return `CREATE TABLE ${q}${table}${q} (${parts.join(', ')})`;
}

/** Brings a read value into the comparable form of {@link ReadRow}. */
function normalize(value: unknown, type: BaseColumnType): string | number | boolean | null {
  if (value === null || value === undefined) return null;
  switch (type) {
    case 'int64':
      return String(value);
    case 'int32':
    case 'float64':
      return Number(value);
    case 'bool':
      return typeof value === 'boolean' ? value : Number(value) !== 0;
    case 'bytes':
      return Buffer.from(value as Uint8Array).toString('hex');
    case 'timestamp':
      return value instanceof Date ? value.getTime() : Date.parse(String(value));
    case 'string':
      return String(value);
  }
}

/** Rows read back, in the comparable form of {@link ReadRow}. */
export function normalizeRows(rows: Record<string, unknown>[], columns: Record<string, ColumnSpec>): ReadRow[] {
  return rows.map((row) => Object.fromEntries(Object.entries(columns).map(([name, spec]) => [name, normalize(row[name], spec.type)])));
}

