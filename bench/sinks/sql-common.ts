import { SQLSchema, type Request, type Row } from '../../src/index.js';
import { BENCH_COLUMNS, type BenchRow } from '../rows.js';
import type { BenchSink } from './bench-sink.js';

/** Column names of the bench table, in schema order, for hand-written SQL. */
export const BENCH_COLUMN_LIST = Object.keys(BENCH_COLUMNS).join(', ');

/** A row's values in column order, for hand-written SQL. */
export function rowValues(row: BenchRow): [number, number, number, string, Date] {
  return [row.id, row.account, row.amount, row.label, row.created_at];
}

/** What the SQL sinks share: the schema (`ignore`, so a redelivered row is not counted twice), rows as-is, latency from `created_at`. */
export function sqlSinkCommon(): Pick<BenchSink, 'schema' | 'toRequestRow' | 'submittedAtMs' | 'countMethod'> {
  return {
    countMethod: 'SELECT COUNT(*)',
    schema: (table) => SQLSchema(table, 'ignore', BENCH_COLUMNS),
    toRequestRow: (row) => row as unknown as Row,
    submittedAtMs: (request: Request) => request.getTime('created_at').getTime(),
  };
}
