import type { Value } from '../../core/column-type.js';
import type { Request } from '../../core/request.js';
import type { Schema, SQLSchema } from '../../core/schema.js';
import { SinkError } from '../../errors/sink-error.js';
import { throwIfAborted } from '../abort-guard.js';
import { requireSqlSchema } from './batch-guard.js';

/** A batch as every SQL driver starts from it: its SQL schema and its rows' values. */
export interface SqlBatch {
  readonly schema: SQLSchema;
  readonly rows: (readonly Value[])[];
  /** The rows (by identity, of `rows`) that are deletes by key; empty when the batch holds none. */
  readonly deletes: ReadonlySet<readonly Value[]>;
}

/**
 * The checks every SQL driver makes before touching the database, in this order: a SQL schema
 * (else `non_retryable`), a signal not yet aborted (else `context`), complete requests (else
 * `non_retryable`). Returns undefined for an empty batch, which needs no transaction at all.
 */
export function readBatch(sink: string, schema: Schema, requests: readonly Request[], signal: AbortSignal | undefined): SqlBatch | undefined {
  const sql = requireSqlSchema(schema, sink);
  throwIfAborted(sink, signal);
  if (requests.length === 0) return undefined;
  const rows = batchRows(requests, sink);
  const deletes = new Set<readonly Value[]>();
  requests.forEach((request, i) => {
    if (request.isDelete) deletes.add(rows[i] as readonly Value[]);
  });
  return { schema: sql, rows, deletes };
}

/**
 * Reads every request's values (in schema column order). An incomplete request is bad data:
 * it fails as `non_retryable` so bisection can isolate it, before any connection is taken.
 */
export function batchRows(requests: readonly Request[], sink: string): (readonly Value[])[] {
  try {
    return requests.map((request) => request.values);
  } catch (err) {
    throw new SinkError('non_retryable', `${sink}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

/** Splits row-major values into one array per column (column-major), as array binding needs. */
export function toColumns(rows: readonly (readonly Value[])[], columnCount: number): Value[][] {
  const columns: Value[][] = Array.from({ length: columnCount }, () => new Array<Value>(rows.length));
  rows.forEach((row, r) => {
    for (let c = 0; c < columnCount; c++) (columns[c] as Value[])[r] = row[c] ?? null;
  });
  return columns;
}
