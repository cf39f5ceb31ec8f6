// The benchmark's contract with a sink (bench/ runs it; each driver folder implements it in its
// own `bench-sink.ts`, loaded lazily through its definition's `bench`), and the row it writes.
import type { BatchExecutor } from '../../src/core/batch-executor.js';
import type { Request } from '../../src/core/request.js';
import type { DeliveryGuarantee } from '../../src/core/delivery.js';
import { SQLSchema, type Row, type Schema } from '../../src/core/schema.js';
import type { WideRow } from '../wide-rows.js';

/**
 * The benchmark's row: five columns, as in the design notes' orientation figures. `created_at`
 * is stamped when the row is submitted, so the consumer can measure submit→commit latency.
 */
export interface BenchRow {
  readonly id: number;
  readonly account: number;
  readonly amount: number;
  readonly label: string;
  readonly created_at: Date;
}

/** A row after a trip through JSON (naive BullMQ jobs carry plain JSON). */
export interface BenchRowJson {
  readonly id: number;
  readonly account: number;
  readonly amount: number;
  readonly label: string;
  readonly created_at: string;
}

/** BatchFlow column types of {@link BenchRow} (ids stay JavaScript numbers, as most apps send them). */
export const BENCH_COLUMNS = Object.freeze({ id: 'int64', account: 'int32', amount: 'float64', label: 'string', created_at: 'timestamp' } as const);

/** Writes rows one at a time, the way a hand-written BullMQ processor would. */
export interface NaiveWriter {
  writeOne(row: BenchRowJson): Promise<void>;
  close(): Promise<void>;
}

/** Writes rows in the fastest bulk form the benchmark knows for a database, without any queue. */
export interface RawWriter<R = BenchRow> {
  /** Rows per statement / transaction / pipeline. */
  readonly chunkRows: number;
  /** What the writer does, for the report (e.g. `INSERT … SELECT * FROM unnest(…)`). */
  readonly method: string;
  write(rows: readonly R[]): Promise<void>;
  close(): Promise<void>;
}

/** Where a bench sink writes: its own URL (`--<type>-url`, or its default), the queues' Redis, and a scratch directory. */
export interface BenchSinkTarget {
  readonly url: string | undefined;
  readonly redisUrl: string;
  /** Directory for files (SQLite databases), removed after the run. */
  readonly dir: string;
}

/**
 * One sink as the benchmark sees it: how to make and drop a target, count what landed,
 * and the three ways of writing that are compared (naive, raw bulk, BatchFlow driver).
 * Connections are opened lazily, so the parent and the consumer child each use only what they need.
 */
export interface BenchSink {
  /** The sink type, e.g. `postgres`. */
  readonly name: string;
  /** Human-readable server name and version, for the report. */
  version(): Promise<string>;
  /** Creates an empty target (table, or Redis hash key name) unique to `target`. */
  create(target: string): Promise<void>;
  /** Rows that landed in the target: `SELECT COUNT(*)`, or `HLEN` for Redis. */
  count(target: string): Promise<number>;
  /** How {@link BenchSink.count} counts, for the report. */
  readonly countMethod: string;
  /** Drops the target. */
  drop(target: string): Promise<void>;
  /** The BatchFlow schema for a target (`exactly-once`: with a delivery ledger, SQL sinks only). */
  schema(target: string, delivery?: DeliveryGuarantee): Schema;
  /** The row as submitted to BatchFlow for this sink. */
  toRequestRow(row: BenchRow, target: string): Row;
  /** Submit time (ms since epoch) carried by a request, for latency. */
  submittedAtMs(request: Request): number;
  /** The BatchFlow driver for this sink. */
  executor(): BatchExecutor;
  naiveWriter(target: string): NaiveWriter;
  rawWriter(target: string): RawWriter;
  /** The wide scenario's table (20 columns, ~2 KB rows) and its raw writer; absent where the scenario does not run. */
  readonly wide?: WideBench;
  /** Closes the connections opened by `create`/`count`/`drop`/`version`. */
  close(): Promise<void>;
}

/** The wide table of a SQL sink (see `bench/wide-rows.ts`): its DDL and the raw write of the same rows. */
export interface WideBench {
  /** Creates the empty 20-column table. */
  create(table: string): Promise<void>;
  rawWriter(table: string): RawWriter<WideRow>;
}

/** Column names of the bench table, in schema order, for hand-written SQL. */
export const BENCH_COLUMN_LIST = Object.keys(BENCH_COLUMNS).join(', ');

/** A row's values in column order, for hand-written SQL. */
export function benchRowValues(row: BenchRow): [number, number, number, string, Date] {
  return [row.id, row.account, row.amount, row.label, row.created_at];
}

/** What the SQL bench sinks share: the schema (`ignore`, so a redelivered row is not counted twice), rows as-is, latency from `created_at`. */
export function sqlBenchCommon(): Pick<BenchSink, 'schema' | 'toRequestRow' | 'submittedAtMs' | 'countMethod'> {
  return {
    countMethod: 'SELECT COUNT(*)',
    schema: (table, delivery) => SQLSchema(table, 'ignore', BENCH_COLUMNS, delivery ? { delivery } : {}),
    toRequestRow: (row) => row as unknown as Row,
    submittedAtMs: (request: Request) => request.getTime('created_at').getTime(),
  };
}
