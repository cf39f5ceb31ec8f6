import type { SinkName } from '../options.js';
import type { MemoryMark } from '../result.js';
import type { SinkUrls } from '../bench-sinks.js';

/**
 * What the consumer child runs:
 * - `batchflow`: a BatchConsumer writing through the sink's BatchFlow driver;
 * - `naive`: a plain BullMQ Worker, one INSERT (or Redis command) per job;
 * - `noop`: a plain BullMQ Worker whose processor does nothing (the queue's ceiling).
 */
export type ConsumerKind = 'batchflow' | 'naive' | 'noop';

/** Configuration handed to the child as its one argument (JSON). */
export interface ConsumerChildConfig {
  readonly kind: ConsumerKind;
  /** The sink written to (unused by `noop`). */
  readonly sink: SinkName;
  readonly urls: SinkUrls;
  /** Table / hash of the scenario; also the schema and queue name. */
  readonly target: string;
  readonly prefix: string;
  /** Rows (or jobs, for `noop`) after which the child reports `reached`. */
  readonly expected: number;
  /** BullMQ Worker concurrency; for `batchflow`, undefined keeps BatchConsumer's default. */
  readonly concurrency: number | undefined;
  readonly flushSize: number | 'auto';
  readonly flushIntervalMs: number;
  /** Record submit→commit latency of every row (batchflow only). */
  readonly recordLatency: boolean;
  /** BatchConsumer with nothing tuned (no flushSize, flushIntervalMs nor concurrency given); batchflow only. */
  readonly defaults?: boolean;
  /** `delivery: 'exactly-once'` with its ledger pruned as soon as jobs complete (batchflow, SQL sinks only). */
  readonly exactlyOnce?: boolean;
  /** Partitions of the schema (`sink.schema(target)` has 1). @defaultValue 1 */
  readonly partitions?: number;
  /** The queues on PostgreSQL (BullMQ's PostgreSQL backend): database URL and queue schema, instead of `urls.redisUrl`. */
  readonly queuePostgres?: { readonly url: string; readonly schema: string };
  /** Seed nodes (`host:port`) of a Redis Cluster for the queues, instead of `urls.redisUrl`. */
  readonly clusterNodes?: readonly string[];
  /** Conflict strategy of the schema instead of the bench sink's own (`ignore`): the hot-key scenario upserts. */
  readonly conflict?: 'update';
  /** The wide scenario's 20-column schema (`bench/wide-rows.ts`) instead of the sink's own. */
  readonly wide?: boolean;
  /** Row counts at which to sample the child's RSS. */
  readonly rssMarks: readonly number[];
}

/** Messages from the child. Times are `Date.now()` of the child, comparable with the parent's on one host. */
export type ChildMessage =
  | { type: 'ready' }
  | { type: 'progress'; done: number }
  | { type: 'reached'; done: number; atMs: number }
  | { type: 'final'; stats: ChildStats }
  | { type: 'failed'; message: string };

/** What the child measured about itself. */
export interface ChildStats {
  /** Rows committed (jobs completed, for `noop` and `naive`). */
  readonly done: number;
  /** Peak resident set size of the child process (getrusage `ru_maxrss`). */
  readonly maxRssBytes: number;
  /** CPU time from when the consumer was ready to when it closed (start-up excluded). */
  readonly cpuUserMs: number;
  readonly cpuSystemMs: number;
  /** Submit→commit latency per row, in ms (empty unless `recordLatency`). */
  readonly latenciesMs: number[];
  readonly rssAtMarks: MemoryMark[];
  /** Requests dead-lettered and operational errors seen (both should be zero in a clean run). */
  readonly deadLettered: number;
  readonly errors: string[];
  /** Batch retries after a deadlock or serialization failure (`batch:retry` with reason `deadlock`). */
  readonly deadlockRetries?: number;
  /** Every flush size the BatchConsumer reported (its first, then each change): `flushSize: 'auto'` at work. */
  readonly flushSizes: number[];
}

/** Messages to the child. */
export type ParentMessage = { type: 'stop' };
