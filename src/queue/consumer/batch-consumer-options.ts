import type { BatchAccumulatorOptions } from '../../core/batch-accumulator.js';
import { BATCH_ACCUMULATOR_DEFAULTS } from '../../core/batch-accumulator.js';
import type { BatchExecutor } from '../../core/batch-executor.js';
import { BATCH_WRITER_DEFAULTS, type BatchWriterOptions } from '../../core/batch-writer.js';
import { DEAD_LETTER_STORM_GUARD_DEFAULTS } from '../../core/dead-letter-storm-guard.js';
import { CIRCUIT_BREAKER_DEFAULTS } from '../../core/circuit-breaker.js';
import { FLUSH_SIZE_CONTROLLER_DEFAULTS, type FlushSizeControllerOptions } from '../../core/flush-size-controller.js';
import { ConfigError } from '../../errors/config-error.js';
import { resolveOptions } from '../../core/resolve-options.js';
import type { Schema } from '../../core/schema.js';
import { checkNumericOption, type NumericOptionKind } from '../../core/numeric-option.js';
import type { MetricsReporter } from '../../metrics/metrics-reporter.js';
import { TRACING_DEFAULTS, type TracingOptions } from '../../tracing/tracing-options.js';
import type { QueueConnection } from '../connection.js';
import { consoleConsumerLogger, type ConsumerLogger } from './consumer-logger.js';
import { DEFAULT_PREFIX } from '../queue-names.js';

/** Options of {@link BatchConsumer}. Batching and retry fields are documented on their core types. */
export interface BatchConsumerOptions extends Omit<BatchAccumulatorOptions, 'flushSize'>, FlushSizeControllerOptions, BatchWriterOptions, TracingOptions {
  /**
   * Flush as soon as a batch holds this many requests, or `'auto'`: the size adapts between
   * `minFlushSize` and `maxFlushSize`, growing while larger batches commit each row cheaper under
   * `targetCommitMs` and shrinking on slow commits, timeouts and retries (see `FlushSizeController`).
   * The jobs the worker holds follow the current size.
   * @defaultValue 500
   */
  flushSize?: number | 'auto';
  /**
   * Where the queues are: Redis (a URL, ioredis options, cluster seeds or a client), or
   * PostgreSQL through BullMQ's PostgreSQL backend: `{ postgres: url | pg.Pool, schema? }`
   * (docs/guides/queue-backend.md; create its schema first with `migrateQueueSchema()` or `batchflow migrate`).
   * Consumers of one process given the same value (the same URL string, or the same options
   * object or instance) share one client: on Redis, for everything but each BullMQ Worker's
   * blocking fetch, so about two connections per schema, not three.
   */
  connection: QueueConnection;
  /** The schema whose queue this consumer drains. */
  schema: Schema;
  /** Where batches are written. The consumer does not close it. */
  executor: BatchExecutor;
  /** Redis key prefix shared with producers. @defaultValue `'batchflow'` */
  prefix?: string;
  /**
   * Jobs held at once. Batches fill only if the jobs held carry at least `flushSize × maxInFlightBatches`
   * requests (with packing, jobs hold many requests and fewer are needed).
   * @defaultValue as many jobs as carry `flushSize × (maxInFlightBatches + 1)` requests: that many
   * jobs with one request each, proportionally fewer with producer packing (sized from a moving
   * average of the requests per job seen)
   */
  concurrency?: number;
  /**
   * Estimated JSON bytes (strings counted one byte per character) that the jobs held at once may
   * carry, with the default `concurrency`: fewer jobs are fetched when they are large (packed jobs
   * near the producer's 1 MiB cap, or large requests), so the worker's heap stays bounded whatever
   * they carry. Decoded, a request takes a few times its JSON size in the heap.
   * @defaultValue 33554432 (32 MiB)
   */
  maxHeldJobBytes?: number;
  /**
   * Consecutive failures that count against the sink (anything but a data error or a deadlock)
   * before the breaker opens and consumption pauses; below it the batch is retried after a
   * growing backoff (`retryBaseMs` … `retryMaxMs`).
   * @defaultValue 3
   */
  breakerThreshold?: number;
  /** First delay before the breaker's half-open probe. @defaultValue 250 */
  breakerProbeBaseMs?: number;
  /** Longest delay between breaker probes. @defaultValue 2000 */
  breakerProbeMaxMs?: number;
  /** BullMQ job lock; a crashed worker's jobs return to the queue after it lapses. @defaultValue 30000 */
  lockDurationMs?: number;
  /** How often BullMQ looks for jobs of crashed workers. @defaultValue 30000 */
  stalledIntervalMs?: number;
  /**
   * Times a job may be recovered from a crashed worker before BullMQ fails it. High, because a
   * crash says nothing about the job: our worker dead-letters bad data instead of crashing.
   * @defaultValue 1000
   */
  maxStalledCount?: number;
  /** `close()` flushes and commits in-flight batches within this time, then aborts them (their jobs are redelivered). @defaultValue 30000 */
  shutdownTimeoutMs?: number;
  /**
   * How often queue and DLQ depths are sampled for `metrics` (only when a reporter is given),
   * and the consumer's health is published for `batchflow stats`. 0 turns both off: health is
   * then published only at start and when the breaker changes.
   * @defaultValue 5000
   */
  queueDepthIntervalMs?: number;
  /**
   * How often jobs that BullMQ itself failed (attempts or stalls exhausted) are moved from the
   * schema queue's failed set into the DLQ, where `dlq list`, the metrics and replay see them: rows
   * as `queue_failed`, or `queue_stalled` when the job stalled on a schema that cannot tell whether
   * they committed; on exactly-once schemas rows the ledger holds are dropped. 0 disables.
   * @defaultValue 10000
   */
  failedJobSweepIntervalMs?: number;
  /**
   * How often the consumer looks for queues of its schema that another `partitions` filled (a
   * change of N, or producers of the old N during a rolling deploy), to drain them beside its own;
   * 0 looks only once, at start (docs/guides/partitions-and-cluster.md).
   * @defaultValue 5000
   */
  layoutCheckIntervalMs?: number;
  /**
   * Minutes of BullMQ's worker metrics (jobs completed and failed per minute) kept in Redis, which
   * Bull Board charts per queue; 0 records none. Each data point is a few bytes per queue.
   * @defaultValue 10080 (one week)
   */
  metricsMaxDataPoints?: number;
  /**
   * `delivery: 'exactly-once'` schemas: how long after BullMQ completed a job its ledger rows are
   * deleted (see `LedgerPruner`). Covers a worker that lost a job's lock and still writes it after
   * another worker completed it; 0 prunes on the next tick.
   * @defaultValue 60000
   */
  ledgerPruneDelayMs?: number;
  /**
   * `delivery: 'exactly-once'` schemas: ledger rows older than this are swept whatever their job
   * (what a crash left unpruned). Must exceed the longest time a committed job can wait to be
   * redelivered (its worker killed after the commit, and no worker running for that long).
   * @defaultValue 604800000 (7 days)
   */
  ledgerRetentionMs?: number;
  /** Run the DLQ worker that parks entries and replays Bull Board retries. @defaultValue true */
  deadLetterWorker?: boolean;
  /** @defaultValue the no-op reporter */
  metrics?: MetricsReporter;
  /**
   * Where the consumer speaks up without any listener: one line when it holds work (the circuit
   * breaker opens: the sink's reason, code and message) and when it resumes, one per cause of
   * dead-lettering (repeats within 10 s are counted into the next line), and operational errors
   * while no `error` listener is attached. A pino-style logger (`logger: pino()`) gets
   * structured fields too; `false` keeps the consumer silent.
   * @defaultValue one line per event on stderr (`consoleConsumerLogger`)
   */
  logger?: ConsumerLogger | false;
  /**
   * This process's HTTP endpoint (e.g. `http://10.0.0.5:41234`, where its `/metrics` are),
   * published with the consumer's health so that `batchflow stats --json` lists every worker of a
   * schema and where to reach it; the worker service sets it, also when `http.port: 0` picked the port.
   * @defaultValue none
   */
  endpoint?: string;
}

/** Defaults of {@link BatchConsumerOptions}. */
export const BATCH_CONSUMER_DEFAULTS = Object.freeze({
  ...BATCH_ACCUMULATOR_DEFAULTS,
  ...BATCH_WRITER_DEFAULTS,
  ...FLUSH_SIZE_CONTROLLER_DEFAULTS,
  ...DEAD_LETTER_STORM_GUARD_DEFAULTS,
  ...TRACING_DEFAULTS,
  prefix: DEFAULT_PREFIX,
  breakerThreshold: CIRCUIT_BREAKER_DEFAULTS.threshold,
  breakerProbeBaseMs: CIRCUIT_BREAKER_DEFAULTS.probeBaseMs,
  breakerProbeMaxMs: CIRCUIT_BREAKER_DEFAULTS.probeMaxMs,
  lockDurationMs: 30_000,
  stalledIntervalMs: 30_000,
  maxStalledCount: 1000,
  shutdownTimeoutMs: 30_000,
  queueDepthIntervalMs: 5000,
  failedJobSweepIntervalMs: 10_000,
  layoutCheckIntervalMs: 5000,
  metricsMaxDataPoints: 10_080,
  deadLetterWorker: true,
  ledgerPruneDelayMs: 60_000,
  ledgerRetentionMs: 7 * 24 * 3600_000,
  maxHeldJobBytes: 32 * 1024 * 1024,
  logger: consoleConsumerLogger as ConsumerLogger | false,
});

/** Options after defaults are applied. */
export type ResolvedBatchConsumerOptions = BatchConsumerOptions & Required<Pick<BatchConsumerOptions, keyof typeof BATCH_CONSUMER_DEFAULTS>>;

/** The value each tuning field takes after defaults: a number, or for `flushSize` also `'auto'`. */
export type BatchConsumerTuning = { readonly [F in BatchConsumerTuningField]: ResolvedBatchConsumerOptions[F] };

/** Applies the defaults and validates every field once; a bad one fails fast with a `ConfigError` naming it. */
export function resolveBatchConsumerOptions(options: BatchConsumerOptions): ResolvedBatchConsumerOptions {
  const resolved = resolveOptions<ResolvedBatchConsumerOptions>(BATCH_CONSUMER_DEFAULTS, options);
  validate(resolved);
  return resolved;
}

/**
 * The numeric tuning fields of {@link BatchConsumerOptions} and what each accepts: the one list
 * that `BatchConsumer`'s validation and the worker config file's schema and defaults derive from.
 */
export const BATCH_CONSUMER_TUNING = Object.freeze({
  flushSize: 'positiveOrAuto',
  minFlushSize: 'positive',
  maxFlushSize: 'positive',
  targetCommitMs: 'positive',
  flushIntervalMs: 'positive',
  maxInFlightBatches: 'positive',
  maxAttempts: 'positive',
  retryBaseMs: 'positive',
  retryMaxMs: 'positive',
  batchTimeoutMs: 'positive',
  shutdownTimeoutMs: 'positive',
  breakerThreshold: 'positive',
  breakerProbeBaseMs: 'positive',
  breakerProbeMaxMs: 'positive',
  lockDurationMs: 'positive',
  stalledIntervalMs: 'positive',
  maxStalledCount: 'positive',
  stormMinRows: 'positive',
  stormWindowRows: 'positive',
  stormRatio: 'ratio',
  maxHeldJobBytes: 'positive',
  queueDepthIntervalMs: 'nonNegative',
  failedJobSweepIntervalMs: 'nonNegative',
  layoutCheckIntervalMs: 'nonNegative',
  metricsMaxDataPoints: 'nonNegative',
  ledgerPruneDelayMs: 'nonNegative',
  ledgerRetentionMs: 'positive',
} as const satisfies Partial<Record<keyof typeof BATCH_CONSUMER_DEFAULTS, NumericOptionKind>>);

/** A numeric tuning field's name. */
export type BatchConsumerTuningField = keyof typeof BATCH_CONSUMER_TUNING;

export type { NumericOptionKind };

function validate(o: ResolvedBatchConsumerOptions): void {
  for (const [field, kind] of Object.entries(BATCH_CONSUMER_TUNING)) checkNumericOption(field, kind, o[field as BatchConsumerTuningField]);
  if (o.concurrency !== undefined) checkNumericOption('concurrency', 'positive', o.concurrency);
  if (o.minFlushSize > o.maxFlushSize) throw new ConfigError('maxFlushSize', `must be at least minFlushSize (${o.minFlushSize}), got ${o.maxFlushSize}`);
}
