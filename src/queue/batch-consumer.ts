import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Queue} from 'bullmq';
import { Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { BatchAccumulator, type AccumulatorState } from '../core/batch-accumulator.js';
import { BatchWriter } from '../core/batch-writer.js';
import { CircuitBreaker, type BreakerState } from '../core/circuit-breaker.js';
import { decodePayload } from '../core/codec.js';
import { redactCommandCredentials } from '../core/redact-credentials.js';
import type { Request } from '../core/request.js';
import { AbortedError } from '../errors/aborted-error.js';
import { ConfigError } from '../errors/config-error.js';
import { noopMetrics, type MetricsReporter } from '../metrics/metrics-reporter.js';
import { BATCH_CONSUMER_DEFAULTS, type BatchConsumerOptions, type ResolvedBatchConsumerOptions } from './batch-consumer-options.js';
import type { BatchConsumerEvents } from './batch-consumer-events.js';
import { createRedis } from './connection.js';
import type { DeadLetterEntry, ReplayHistory } from './dead-letter-entry.js';
import { DeadLetterQueue } from './dead-letter-queue.js';
import { DeadLetterWorker } from './dead-letter-worker.js';
import { deadLetterFromFailure, deadLetterFromJob } from './dead-letter-factory.js';
import { JobConcurrency } from './job-concurrency.js';
import { queueName } from './queue-names.js';
import { openQueue } from './open-queue.js';

/** One request waiting in a batch, with the callbacks that settle the promise its job's processor awaits. */
interface PendingRequest {
  readonly request: Request;
  readonly job: Job;
  readonly rowIndex: number;
  readonly history: ReplayHistory | undefined;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

/** The accumulator's states, plus `closing` while `close()` drains in-flight batches. */
export type BatchConsumerState = AccumulatorState | 'closing';

const BREAKER_GAUGE = { closed: 0, half_open: 1, open: 2 } as const;

/**
 * Drains one schema's queue in batches. A standard BullMQ Worker fetches jobs (keeping BullMQ's
 * lock renewal and stalled-job recovery); each job's processor hands its requests to a
 * {@link BatchAccumulator} and resolves only when the batch holding them has committed (or the bad
 * ones are stored in the DLQ). So a job leaves the queue only after its batch committed: a crash
 * at any point leaves it to be redelivered.
 *
 * @example
 * ```ts
 * const consumer = new BatchConsumer({ connection: 'redis://127.0.0.1:6379', schema: users, executor: new PostgresDriver({ connectionString }) });
 * consumer.on('dead-lettered', ({ entries }) => log.warn({ count: entries.length }, 'dead-lettered'));
 * process.on('SIGTERM', () => consumer.close());
 * ```
 */
export class BatchConsumer extends EventEmitter<BatchConsumerEvents> {
  readonly schema: BatchConsumerOptions['schema'];
  readonly dlq: DeadLetterQueue;
  readonly #options: ResolvedBatchConsumerOptions;
  readonly #metrics: MetricsReporter;
  readonly #redis: Redis;
  readonly #worker: Worker;
  readonly #dlqWorker: DeadLetterWorker | undefined;
  readonly #queue: Queue;
  readonly #breaker: CircuitBreaker;
  readonly #writer: BatchWriter;
  readonly #accumulator: BatchAccumulator<PendingRequest>;
  readonly #abort = new AbortController();
  readonly #depthTimer: NodeJS.Timeout | undefined;
  /** Sizes the Worker's concurrency from the requests per job, unless the user fixed it. */
  readonly #concurrency: JobConcurrency | undefined;
  #closing: Promise<void> | undefined;

  constructor(options: BatchConsumerOptions) {
    super();
    this.#options = { ...BATCH_CONSUMER_DEFAULTS, ...stripUndefined(options) };
    validate(this.#options);
    const o = this.#options;
    this.schema = o.schema;
    this.#metrics = o.metrics ?? noopMetrics;
    const sink = o.executor.sink;
    this.#breaker = new CircuitBreaker({
      probeBaseMs: o.breakerProbeBaseMs,
      probeMaxMs: o.breakerProbeMaxMs,
      onStateChange: (state) => this.#onBreaker(state),
    });
    let currentBatch = '';
    this.#writer = new BatchWriter(o.executor, o.schema, this.#breaker, o, {
      executed: (status, seconds, size) => this.#metrics.batchExecuted(o.schema.name, sink, status, seconds, size),
      retrying: (error, attempt, delayMs) => {
        this.#metrics.error(o.schema.name, sink, `retry:${error.reason}`);
        this.emit('batch:retry', { batchId: currentBatch, schema: o.schema.name, reason: error.reason, errorCode: error.sinkCode ?? null, attempt, delayMs });
      },
    });
    this.#accumulator = new BatchAccumulator<PendingRequest>(
      (items, assemblySeconds) => {
        currentBatch = randomUUID();
        return this.#flush(currentBatch, items, assemblySeconds);
      },
      o,
      (err) => this.#emitError(err),
    );
    this.#redis = createRedis(o.connection, 'worker');
    this.#queue = openQueue(queueName(o.schema.name), this.#redis, o.prefix);
    this.#queue.on('error', (err) => this.#emitError(err));
    this.dlq = new DeadLetterQueue(o.schema.name, this.#redis, o.prefix);
    this.#dlqWorker = o.deadLetterWorker ? new DeadLetterWorker(this.dlq, this.#redis, o.prefix) : undefined;
    this.#concurrency = o.concurrency === undefined ? new JobConcurrency(o.flushSize * (o.maxInFlightBatches + 1)) : undefined;
    this.#worker = new Worker(queueName(o.schema.name), (job) => this.#process(job), {
      connection: this.#redis,
      prefix: o.prefix,
      concurrency: o.concurrency ?? this.#concurrency?.initial,
      lockDuration: o.lockDurationMs,
      stalledInterval: o.stalledIntervalMs,
      maxStalledCount: o.maxStalledCount,
    });
    this.#worker.on('error', (err) => this.#emitError(err));
    this.#metrics.breakerState(o.schema.name, sink, 0);
    if (o.queueDepthIntervalMs > 0) {
      this.#depthTimer = setInterval(() => void this.#sampleDepth(), o.queueDepthIntervalMs);
      this.#depthTimer.unref();
    }
  }

  /** `idle`, `filling`, `flushing`, `closing` (draining for shutdown) or `closed`. */
  get state(): BatchConsumerState {
    return this.#closing && this.#accumulator.state !== 'closed' ? 'closing' : this.#accumulator.state;
  }

  /** Resolves once the worker is connected to Redis. */
  async waitUntilReady(): Promise<void> {
    await this.#worker.waitUntilReady();
  }

  /**
   * Graceful shutdown: stop taking jobs, flush and commit in-flight batches, release connections.
   * After `shutdownTimeoutMs` the batches still running are aborted and their jobs left for redelivery.
   * Safe to call more than once.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    clearInterval(this.#depthTimer);
    this.#accumulator.flushNow();
    const drained = (async () => {
      await this.#worker.close();
      await this.#accumulator.close();
    })();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), this.#options.shutdownTimeoutMs)));
    const result = await Promise.race([drained.then(() => 'drained' as const), timedOut]);
    clearTimeout(timer);
    if (result === 'timeout') {
      this.#abort.abort(new AbortedError('shutdown timeout: in-flight batches aborted; their jobs will be redelivered'));
      this.#breaker.dispose();
      await this.#worker.close(true);
    }
    await this.#dlqWorker?.close(result === 'timeout');
    await Promise.allSettled([this.dlq.close(), this.#queue.close()]);
    this.#redis.disconnect();
  }

  async #process(job: Job): Promise<void> {
    const data = job.data as { s?: unknown; rows?: unknown; replay?: ReplayHistory } | null;
    // Synchronously, before any await: the Worker reads its concurrency again before its next fetch.
    if (this.#concurrency) this.#worker.concurrency = this.#concurrency.observe(Array.isArray(data?.rows) ? data.rows.length : 1);
    if (data?.s !== undefined && data.s !== this.schema.name) {
      await this.#deadLetter(null, [deadLetterFromJob(this.schema.name, job, 'unknown_schema', `job names schema ${JSON.stringify(data.s)}`)]);
      return;
    }
    let requests: Request[];
    try {
      requests = decodePayload(this.schema, data);
    } catch (err) {
      await this.#deadLetter(null, [deadLetterFromJob(this.schema.name, job, 'undecodable', (err as Error).message)]);
      return;
    }
    const history = data?.replay;
    // Like Promise.all over one promise per request, without allocating them (measurable with
    // packed jobs of 100 requests): resolves once every request is settled, rejects on the first
    // rejection. #flush settles each request once (a DLQ-write failure rejects before resolving).
    await new Promise<void>((resolveJob, reject) => {
      let unsettled = requests.length;
      const resolve = (): void => {
        if (--unsettled === 0) resolveJob();
      };
      requests.forEach((request, rowIndex) => this.#accumulator.add({ request, job, rowIndex, history, resolve, reject }));
      // During shutdown nothing new arrives to fill a batch: flush at once instead of waiting for the timer.
      if (this.#closing) this.#accumulator.flushNow();
    });
  }

  async #flush(batchId: string, items: PendingRequest[], assemblySeconds: number): Promise<void> {
    const schema = this.schema.name;
    const sink = this.#options.executor.sink;
    this.#metrics.batchAssembled(schema, assemblySeconds, items.length);
    this.#metrics.inFlightBatches(schema, this.#accumulator.inFlight);
    const started = performance.now();
    try {
      const { failures } = await this.#writer.write(items.map((item) => item.request), this.#abort.signal);
      const failed = new Set(failures.map((f) => f.index));
      if (failures.length > 0) {
        const entries = failures.map((failure) => {
          const item = items[failure.index] as PendingRequest;
          return deadLetterFromFailure(schema, item.request, item.job, item.rowIndex, failure, item.history);
        });
        try {
          await this.#deadLetter(batchId, entries);
        } catch (err) {
          // Not stored in the DLQ: fail those jobs so BullMQ redelivers them later; nothing is lost.
          for (const index of failed) items[index]?.reject(err);
          this.#emitError(err);
        }
        for (const failure of failures) this.#metrics.error(schema, sink, `final:${failure.error.reason}`);
      }
      const committed = items.length - failures.length;
      const now = Date.now();
      let lastJob: Job | undefined;
      items.forEach((item, index) => {
        if (failed.has(index)) {
          item.resolve(); // dead-lettered (if the DLQ write failed, reject above already won)
          return;
        }
        if (item.job !== lastJob) this.#metrics.requestLatency(schema, (now - item.job.timestamp) / 1000);
        lastJob = item.job;
        item.resolve();
      });
      this.#metrics.rowsCommitted(schema, sink, committed);
      this.emit('batch:committed', { batchId, schema, size: committed, seconds: (performance.now() - started) / 1000 });
    } catch (err) {
      for (const item of items) item.reject(err);
      throw err;
    } finally {
      this.#metrics.inFlightBatches(schema, this.#accumulator.inFlight - 1);
    }
  }

  async #deadLetter(batchId: string | null, entries: Array<{ entry: DeadLetterEntry; key: string }>): Promise<void> {
    await this.dlq.add(entries);
    for (const { entry } of entries) this.#metrics.rowsDeadLettered(this.schema.name, this.#options.executor.sink, entry.reason, 1);
    this.emit('dead-lettered', { batchId, schema: this.schema.name, entries: entries.map((e) => e.entry) });
  }

  #onBreaker(state: BreakerState): void {
    const sink = this.#options.executor.sink;
    this.#metrics.breakerState(this.schema.name, sink, BREAKER_GAUGE[state]);
    // Stop fetching while the sink is down: jobs stay safely in the queue (not in this process).
    if (state === 'open' && !this.#worker.isPaused()) void this.#worker.pause(true);
    if (state === 'closed' && this.#worker.isPaused() && !this.#closing) this.#worker.resume();
    this.emit('breaker', { schema: this.schema.name, sink, state });
  }

  async #sampleDepth(): Promise<void> {
    try {
      const [counts, dlq] = await Promise.all([this.#queue.getJobCounts('waiting', 'active', 'delayed', 'failed'), this.dlq.count()]);
      for (const state of ['waiting', 'active', 'delayed', 'failed'] as const) this.#metrics.queueDepth(this.schema.name, state, counts[state] ?? 0);
      this.#metrics.queueDepth(this.schema.name, 'dlq', dlq);
    } catch (err) {
      this.#emitError(err);
    }
  }

  #emitError(err: unknown): void {
    // BullMQ's blocking connection is a duplicate of ours, without our scrubbing listener.
    redactCommandCredentials(err);
    if (this.listenerCount('error') > 0) this.emit('error', err instanceof Error ? err : new Error(String(err)));
  }
}

function validate(o: ResolvedBatchConsumerOptions): void {
  const positive = ['flushSize', 'flushIntervalMs', 'maxInFlightBatches', 'maxAttempts', 'batchTimeoutMs', 'lockDurationMs', 'stalledIntervalMs', 'shutdownTimeoutMs'] as const;
  for (const field of positive) {
    const value = o[field];
    if (!Number.isInteger(value) || value <= 0) throw new ConfigError(field, `must be a positive integer, got ${JSON.stringify(value)}`);
  }
  if (o.concurrency !== undefined && (!Number.isInteger(o.concurrency) || o.concurrency <= 0)) {
    throw new ConfigError('concurrency', `must be a positive integer, got ${JSON.stringify(o.concurrency)}`);
  }
}

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
