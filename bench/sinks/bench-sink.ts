import type { BatchExecutor, Request, Row, Schema } from '../../src/index.js';
import type { SinkName } from '../options.js';
import type { BenchRow, BenchRowJson } from '../rows.js';

/** Writes rows one at a time, the way a hand-written BullMQ processor would. */
export interface NaiveWriter {
  writeOne(row: BenchRowJson): Promise<void>;
  close(): Promise<void>;
}

/** Writes rows in the fastest bulk form the benchmark knows for a database, without any queue. */
export interface RawWriter {
  /** Rows per statement / transaction / pipeline. */
  readonly chunkRows: number;
  /** What the writer does, for the report (e.g. `INSERT … SELECT * FROM unnest(…)`). */
  readonly method: string;
  write(rows: readonly BenchRow[]): Promise<void>;
  close(): Promise<void>;
}

/**
 * One sink as the benchmark sees it: how to make and drop a target, count what landed,
 * and the three ways of writing that are compared (naive, raw bulk, BatchFlow driver).
 * Connections are opened lazily, so the parent and the consumer child each use only what they need.
 */
export interface BenchSink {
  readonly name: SinkName;
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
  /** The BatchFlow schema for a target. */
  schema(target: string): Schema;
  /** The row as submitted to BatchFlow for this sink. */
  toRequestRow(row: BenchRow, target: string): Row;
  /** Submit time (ms since epoch) carried by a request, for latency. */
  submittedAtMs(request: Request): number;
  /** The BatchFlow driver for this sink. */
  executor(): BatchExecutor;
  naiveWriter(target: string): NaiveWriter;
  rawWriter(target: string): RawWriter;
  /** Closes the connections opened by `create`/`count`/`drop`/`version`. */
  close(): Promise<void>;
}

/** Connection strings the sinks need. */
export interface SinkUrls {
  readonly redisUrl: string;
  readonly postgresUrl: string;
  readonly mysqlUrl: string;
  /** Directory for SQLite database files. */
  readonly sqliteDir: string;
}
