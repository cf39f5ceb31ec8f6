import { EventEmitter } from 'node:events';
import type { Job, Queue } from 'bullmq';
import { BatchAccumulator } from '../../core/batch-accumulator.js';
import { BatchWriter, type BatchWriterHooks } from '../../core/batch-writer.js';
import { CircuitBreaker, type BreakerState, type HoldCause } from '../../core/circuit-breaker.js';
import { noopMetrics, type MetricsReporter } from '../../metrics/metrics-reporter.js';
import { safeMetrics } from '../../metrics/safe-metrics.js';
import { resolveBatchConsumerOptions, type BatchConsumerOptions, type ResolvedBatchConsumerOptions } from './batch-consumer-options.js';
import type { BatchConsumerEvents, BatchConsumerState, ConsumerHealth } from './batch-consumer-events.js';
import { isPostgresQueueClient, type QueueClient } from '../connection.js';
import { acquireQueueClient, type SharedQueueClient } from '../shared-queue-client.js';
import type { DeadLetterQueue, KeyedDeadLetter } from '../dead-letter/index.js';
import { readJob } from './job-reader.js';
import { JobConcurrency } from './job-concurrency.js';
import { schemaQueueNames } from '../queue-names.js';
import { openQueue } from '../open-queue.js';
import type { PartitionWorkers } from './partition-workers.js';
import { PartitionDeadLetters } from './partition-dead-letters.js';
import { ConsumerUpkeep } from './consumer-upkeep.js';
import { CompletedRetention } from './completed-retention.js';
import { LayoutWatch } from './layout-watch.js';
import { startLedgerPruner, type LedgerPruner } from './ledger-pruner.js';
import { FlushSizing } from './flush-sizing.js';
import { pendingRequests, type PendingRequest } from './pending-request.js';
import { ConsumerVoice } from './consumer-voice.js';
import { ConsumerEmitter } from './consumer-emitter.js';
import { BatchCommitter } from './batch-commit.js';
import { BREAKER_GAUGE, reactToBreaker } from './breaker-reaction.js';
import { jobProcessor, startConsumerWorkers } from './consumer-workers.js';
import { shutDownConsumer } from './consumer-shutdown.js';
import { BatchTracer } from '../../tracing/batch-tracer.js';
import { loadOtelApi } from '../../tracing/otel-api.js';

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
  /** The schema's DLQ; for a partitioned schema, partition 0's (every partition's: {@link dlqs}). */
  readonly dlq: DeadLetterQueue;
  readonly #deadLetters: PartitionDeadLetters;
  readonly #options: ResolvedBatchConsumerOptions;
  readonly #metrics: MetricsReporter;
  /** The process's worker client for this connection, shared with the other consumers given it. */
  readonly #shared: SharedQueueClient;
  readonly #redis: QueueClient;
  readonly #worker: PartitionWorkers;
  /** The queues held, by name: the schema's layout, then queues of other layouts while they are drained. */
  readonly #queues = new Map<string, Queue>();
  readonly #layouts: LayoutWatch;
  readonly #breaker: CircuitBreaker;
  readonly #committer: BatchCommitter;
  readonly #accumulator: BatchAccumulator<PendingRequest>;
  readonly #abort = new AbortController();
  readonly #upkeep: ConsumerUpkeep;
  readonly #pruner: LedgerPruner | undefined;
  /** Sizes the Worker's concurrency by the requests and bytes its jobs carry, unless the user fixed it. */
  readonly #concurrency: JobConcurrency | undefined;
  /** Tells listeners, and without them the `logger` option, what happens. */
  readonly #emitter: ConsumerEmitter;
  #closing: Promise<void> | undefined;

  constructor(options: BatchConsumerOptions) {
    super();
    this.#options = resolveBatchConsumerOptions(options);
    const o = this.#options;
    this.schema = o.schema;
    this.#emitter = new ConsumerEmitter(this, new ConsumerVoice(o.logger === false ? undefined : o.logger), o.schema.name);
    const onError = (err: unknown): void => this.#emitter.error(err);
    // A throwing reporter or listener must never fail a job whose rows committed.
    this.#metrics = safeMetrics(o.metrics ?? noopMetrics, onError);
    const sink = o.executor.sink;
    const sizing = new FlushSizing(o, (size) => this.#metrics.flushSize?.(o.schema.name, size), () => this.#concurrency?.saturated ?? false);
    const onStateChange = (state: BreakerState, cause: HoldCause | undefined) => this.#onBreaker(state, cause);
    this.#breaker = new CircuitBreaker({ threshold: o.breakerThreshold, probeBaseMs: o.breakerProbeBaseMs, probeMaxMs: o.breakerProbeMaxMs, onStateChange });
    const tracer = o.tracing ? new BatchTracer(loadOtelApi(), o.schema.name, sink) : undefined;
    const hooks: BatchWriterHooks = {
      executed: (status, seconds, size) => this.#metrics.batchExecuted(o.schema.name, sink, status, seconds, size),
      retrying: (error, attempt, delayMs, batchId) => {
        this.#metrics.error(o.schema.name, sink, `retry:${error.reason}`);
        this.#emitter.emit('batch:retry', { batchId: batchId ?? '', schema: o.schema.name, reason: error.reason, errorCode: error.sinkCode ?? null, attempt, delayMs });
      },
    };
    const writer = new BatchWriter(o.executor, o.schema, this.#breaker, o, sizing.observing(tracer ? tracer.hooks(hooks) : hooks));
    this.#committer = new BatchCommitter({
      schema: o.schema.name,
      sink,
      writer,
      signal: this.#abort.signal,
      metrics: this.#metrics,
      tracer,
      inFlight: () => this.#accumulator.inFlight,
      deadLetter: (batchId, entries, queueOf) => this.#deadLetter(batchId, entries, queueOf),
      emitter: this.#emitter,
    });
    const flush = (items: PendingRequest[], assemblySeconds: number) => this.#committer.flush(items, assemblySeconds);
    this.#accumulator = new BatchAccumulator<PendingRequest>(flush, { ...o, flushSize: sizing.source }, onError);
    this.#shared = acquireQueueClient(o.connection);
    this.#redis = this.#shared.client;
    const retention = isPostgresQueueClient(this.#redis) ? new CompletedRetention() : undefined;
    const names = schemaQueueNames(o.schema); // every partition (docs/guides/partitions-and-cluster.md): a Worker and a DLQ each, one accumulator and breaker for all
    for (const name of names) this.#queues.set(name, this.#openQueue(name));
    this.#deadLetters = new PartitionDeadLetters(o.schema, names, this.#redis, o.prefix, o.deadLetterWorker);
    this.dlq = this.dlqs[0] as DeadLetterQueue;
    this.#concurrency = o.concurrency === undefined ? new JobConcurrency(sizing.budget(o.maxHeldJobBytes), (n) => (this.#worker.concurrency = n)) : undefined;
    const processor = jobProcessor({ concurrency: this.#concurrency, retention, signal: this.#abort.signal, consume: (job) => this.#consume(job) });
    this.#worker = startConsumerWorkers(o, names, this.#redis, o.concurrency ?? this.#concurrency?.initial, processor);
    this.#worker.on('error', onError);
    this.#pruner = startLedgerPruner(o, this.#worker.workers, onError);
    this.#metrics.breakerState(o.schema.name, sink, BREAKER_GAUGE.closed);
    this.#upkeep = new ConsumerUpkeep({
      ...o,
      sink,
      queues: () => [...this.#queues.values()],
      dlqs: () => this.dlqs,
      redis: this.#redis,
      metrics: this.#metrics,
      sampleDepths: o.metrics !== undefined && o.metrics !== noopMetrics,
      retention,
      health: () => this.health,
      committedRows: () => this.#committer.committedRows,
      onError,
    });
    this.#layouts = new LayoutWatch({
      redis: this.#redis,
      prefix: o.prefix,
      schema: o.schema.name,
      own: names,
      intervalMs: o.layoutCheckIntervalMs,
      attach: (queue) => this.#attach(queue),
      detach: (queue) => this.#detach(queue),
      onError,
    });
  }

  /**
   * One DLQ per queue held: the schema's (one, or one per partition, in partition order), then
   * those of queues of another `partitions` still being drained (docs/guides/partitions-and-cluster.md).
   */
  get dlqs(): readonly DeadLetterQueue[] {
    return this.#deadLetters.dlqs;
  }

  /** Drains a queue of another layout beside the schema's own: a worker on the same processor, its DLQ, its failed-job sweep. */
  #attach(queue: string): void {
    if (this.#closing) return;
    this.#queues.set(queue, this.#openQueue(queue));
    this.#deadLetters.attach(queue);
    const worker = this.#worker.add(queue);
    if (worker && this.#pruner) worker.on('completed', (job: Job) => this.#pruner?.completed(job));
    this.#emitter.emit('layout', { schema: this.schema.name, queue, draining: true });
  }

  /** Lets go of a drained queue of another layout (it holds nothing: no job, no DLQ entry). */
  async #detach(queue: string): Promise<void> {
    await this.#worker.remove(queue);
    await this.#deadLetters.detach(queue);
    await this.#queues.get(queue)?.close();
    this.#queues.delete(queue);
    this.#emitter.emit('layout', { schema: this.schema.name, queue, draining: false });
  }

  #openQueue(name: string): Queue {
    return openQueue(name, this.#redis, this.#options.prefix, this.#options.telemetry).on('error', (err) => this.#emitter.error(err));
  }

  /** `idle`, `filling`, `flushing`, `closing` (draining for shutdown) or `closed`. */
  get state(): BatchConsumerState {
    return this.#closing && this.#accumulator.state !== 'closed' ? 'closing' : this.#accumulator.state;
  }

  /** Whether the sink takes work, and if not, why (the breaker and the failure that holds work). */
  get health(): ConsumerHealth {
    return { breaker: this.#breaker.state, streak: this.#breaker.streak, holding: this.#breaker.cause };
  }

  /** Resolves once the worker is connected to Redis and has looked for queues of other layouts once. */
  async waitUntilReady(): Promise<void> {
    await this.#layouts.ready();
    await this.#worker.waitUntilReady();
  }

  /**
   * Graceful shutdown: stop taking jobs, flush and commit in-flight batches, release connections.
   * After `shutdownTimeoutMs` the batches still running are aborted and their jobs left for redelivery.
   * Safe to call more than once.
   */
  close(): Promise<void> {
    this.#closing ??= shutDownConsumer({
      upkeep: this.#upkeep,
      layouts: this.#layouts,
      accumulator: this.#accumulator,
      breaker: this.#breaker,
      abort: this.#abort,
      workers: this.#worker,
      deadLetters: this.#deadLetters,
      queues: this.#queues,
      pruner: this.#pruner,
      shared: this.#shared,
      shutdownTimeoutMs: this.#options.shutdownTimeoutMs,
    });
    return this.#closing;
  }

  async #consume(job: Job): Promise<void> {
    const read = readJob(this.schema, job);
    if (read.deadLetters.length > 0) await this.#deadLetter(null, read.deadLetters, () => job.queueName);
    if (read.requests.length === 0) return;
    const settled = pendingRequests(job, read, (item) => this.#accumulator.add(item));
    // During shutdown nothing new arrives to fill a batch: flush at once instead of waiting for the timer.
    if (this.#closing) this.#accumulator.flushNow();
    await settled;
  }

  async #deadLetter(batchId: string | null, entries: readonly KeyedDeadLetter[], queueOf: (index: number) => string): Promise<void> {
    await this.#deadLetters.add(entries, queueOf);
    for (const { entry } of entries) this.#metrics.rowsDeadLettered(this.schema.name, this.#options.executor.sink, entry.reason, 1);
    this.#emitter.deadLettered({ batchId, schema: this.schema.name, entries: entries.map((e) => e.entry) });
  }

  #onBreaker(state: BreakerState, cause: HoldCause | undefined): void {
    const parts = { schema: this.schema.name, sink: this.#options.executor.sink, metrics: this.#metrics, workers: this.#worker, emitter: this.#emitter, upkeep: this.#upkeep };
    reactToBreaker({ ...parts, closing: this.#closing !== undefined }, state, cause);
  }
}
