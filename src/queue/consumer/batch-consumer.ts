import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { WaitingError, type Job, type Queue } from 'bullmq';
import { BatchAccumulator } from '../../core/batch-accumulator.js';
import { BatchWriter, type BatchWriterHooks } from '../../core/batch-writer.js';
import { CircuitBreaker, type BreakerState, type HoldCause } from '../../core/circuit-breaker.js';
import { settleWithin } from '../../core/settle-within.js';
import { redactCommandCredentials } from '../../core/redact-credentials.js';
import { AbortedError } from '../../errors/aborted-error.js';
import { noopMetrics, type MetricsReporter } from '../../metrics/metrics-reporter.js';
import { safeMetrics } from '../../metrics/safe-metrics.js';
import { resolveBatchConsumerOptions, type BatchConsumerOptions, type ResolvedBatchConsumerOptions } from './batch-consumer-options.js';
import type { BatchConsumerEvents, BatchConsumerState, ConsumerHealth } from './batch-consumer-events.js';
import { isPostgresQueueClient, type QueueClient } from '../connection.js';
import { acquireQueueClient, type SharedQueueClient } from '../shared-queue-client.js';
import type { DeadLetterQueue } from '../dead-letter/index.js';
import { deadLetterFromFailure, type KeyedDeadLetter } from '../dead-letter/index.js';
import { readJob } from './job-reader.js';
import { JobConcurrency } from './job-concurrency.js';
import { schemaQueueNames } from '../queue-names.js';
import { openQueue, WORKER_DRAIN_DELAY_SECONDS } from '../open-queue.js';
import { cutWorkerConnections, PartitionWorkers } from './partition-workers.js';
import { PartitionDeadLetters } from './partition-dead-letters.js';
import { ConsumerUpkeep } from './consumer-upkeep.js';
import { CompletedRetention } from './completed-retention.js';
import { LayoutWatch } from './layout-watch.js';
import { startLedgerPruner, type LedgerPruner } from './ledger-pruner.js';
import { FlushSizing } from './flush-sizing.js';
import { pendingRequests, type PendingRequest } from './pending-request.js';
import { ConsumerVoice } from './consumer-voice.js';
import { BatchTracer, type BatchSpan } from '../../tracing/batch-tracer.js';
import { loadOtelApi } from '../../tracing/otel-api.js';
import { startBatchSpan } from './batch-span.js';

const BREAKER_GAUGE = { closed: 0, half_open: 1, open: 2 } as const;

/** Longest wait for one held job to be handed back to `wait` at shutdown (Redis may be gone). */
const HAND_BACK_TIMEOUT_MS = 2000;
/** Extra time `close()` gives BullMQ to let go after the batches were aborted, before it cuts the connections. */
const CLOSE_GRACE_MS = 3000;

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
  readonly #writer: BatchWriter;
  readonly #accumulator: BatchAccumulator<PendingRequest>;
  readonly #abort = new AbortController();
  readonly #upkeep: ConsumerUpkeep;
  readonly #pruner: LedgerPruner | undefined;
  /** On the PostgreSQL queue backend: the completed-job count applied by the upkeep, not at each completion. */
  readonly #retention: CompletedRetention | undefined;
  /** Sizes the Worker's concurrency by the requests and bytes its jobs carry, unless the user fixed it. */
  readonly #concurrency: JobConcurrency | undefined;
  /** What the consumer says without listeners (the `logger` option). */
  readonly #voice: ConsumerVoice;
  /** With `tracing`: opens each batch's span. */
  readonly #tracer: BatchTracer | undefined;
  #closing: Promise<void> | undefined;
  /** Rows committed since start, for the rate published on the health board. */
  #committedRows = 0;

  constructor(options: BatchConsumerOptions) {
    super();
    this.#options = resolveBatchConsumerOptions(options);
    const o = this.#options;
    this.schema = o.schema;
    this.#voice = new ConsumerVoice(o.logger === false ? undefined : o.logger);
    // A throwing reporter or listener must never fail a job whose rows committed.
    this.#metrics = safeMetrics(o.metrics ?? noopMetrics, (err) => this.#emitError(err));
    const sink = o.executor.sink;
    const sizing = new FlushSizing(o, (size) => this.#metrics.flushSize?.(o.schema.name, size), () => this.#concurrency?.saturated ?? false);
    const onStateChange = (state: BreakerState, cause: HoldCause | undefined) => this.#onBreaker(state, cause);
    this.#breaker = new CircuitBreaker({ threshold: o.breakerThreshold, probeBaseMs: o.breakerProbeBaseMs, probeMaxMs: o.breakerProbeMaxMs, onStateChange });
    this.#tracer = o.tracing ? new BatchTracer(loadOtelApi(), o.schema.name, sink) : undefined;
    const hooks: BatchWriterHooks = {
      executed: (status, seconds, size) => this.#metrics.batchExecuted(o.schema.name, sink, status, seconds, size),
      retrying: (error, attempt, delayMs, batchId) => {
        this.#metrics.error(o.schema.name, sink, `retry:${error.reason}`);
        this.#emitSafe('batch:retry', { batchId: batchId ?? '', schema: o.schema.name, reason: error.reason, errorCode: error.sinkCode ?? null, attempt, delayMs });
      },
    };
    this.#writer = new BatchWriter(o.executor, o.schema, this.#breaker, o, sizing.observing(this.#tracer ? this.#tracer.hooks(hooks) : hooks));
    const flush = (items: PendingRequest[], assemblySeconds: number) => this.#flush(randomUUID(), items, assemblySeconds);
    this.#accumulator = new BatchAccumulator<PendingRequest>(flush, { ...o, flushSize: sizing.source }, (err) => this.#emitError(err));
    this.#shared = acquireQueueClient(o.connection);
    this.#redis = this.#shared.client;
    this.#retention = isPostgresQueueClient(this.#redis) ? new CompletedRetention() : undefined;
    const names = schemaQueueNames(o.schema); // every partition (docs/guides/partitions-and-cluster.md): a Worker and a DLQ each, one accumulator and breaker for all
    for (const name of names) this.#queues.set(name, this.#openQueue(name));
    this.#deadLetters = new PartitionDeadLetters(o.schema, names, this.#redis, o.prefix, o.deadLetterWorker);
    this.dlq = this.dlqs[0] as DeadLetterQueue;
    this.#concurrency = o.concurrency === undefined ? new JobConcurrency(sizing.budget(o.maxHeldJobBytes), (n) => (this.#worker.concurrency = n)) : undefined;
    this.#worker = new PartitionWorkers(names, (job, token) => this.#process(job, token), {
      connection: this.#redis,
      prefix: o.prefix,
      concurrency: o.concurrency ?? this.#concurrency?.initial,
      lockDuration: o.lockDurationMs,
      stalledInterval: o.stalledIntervalMs,
      maxStalledCount: o.maxStalledCount,
      drainDelay: WORKER_DRAIN_DELAY_SECONDS,
      ...(o.telemetry && { telemetry: o.telemetry }),
      ...(o.metricsMaxDataPoints > 0 && { metrics: { maxDataPoints: o.metricsMaxDataPoints } }),
    });
    this.#worker.on('error', (err) => this.#emitError(err));
    this.#pruner = startLedgerPruner(o, this.#worker.workers, (err) => this.#emitError(err));
    this.#metrics.breakerState(o.schema.name, sink, 0);
    this.#upkeep = new ConsumerUpkeep({
      ...o,
      sink,
      queues: () => [...this.#queues.values()],
      dlqs: () => this.dlqs,
      redis: this.#redis,
      metrics: this.#metrics,
      retention: this.#retention,
      health: () => this.health,
      committedRows: () => this.#committedRows,
      onError: (err) => this.#emitError(err),
    });
    this.#layouts = new LayoutWatch({
      redis: this.#redis,
      prefix: o.prefix,
      schema: o.schema.name,
      own: names,
      intervalMs: o.layoutCheckIntervalMs,
      attach: (queue) => this.#attach(queue),
      detach: (queue) => this.#detach(queue),
      onError: (err) => this.#emitError(err),
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
    this.#emitSafe('layout', { schema: this.schema.name, queue, draining: true });
  }

  /** Lets go of a drained queue of another layout (it holds nothing: no job, no DLQ entry). */
  async #detach(queue: string): Promise<void> {
    await this.#worker.remove(queue);
    await this.#deadLetters.detach(queue);
    await this.#queues.get(queue)?.close();
    this.#queues.delete(queue);
    this.#emitSafe('layout', { schema: this.schema.name, queue, draining: false });
  }

  #openQueue(name: string): Queue {
    return openQueue(name, this.#redis, this.#options.prefix, this.#options.telemetry).on('error', (err) => this.#emitError(err));
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
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#upkeep.stop();
    await settleWithin(this.#layouts.close(), HAND_BACK_TIMEOUT_MS);
    this.#accumulator.flushNow();
    // A sick sink commits nothing soon: hand the held jobs back now rather than at the deadline.
    if (this.#breaker.streak > 0) this.#abortHeld('shutdown while the sink is failing: held jobs handed back to the queue');
    const drained = (async () => {
      await this.#worker.close();
      await this.#accumulator.close();
    })();
    const inTime = await settleWithin(drained, this.#options.shutdownTimeoutMs);
    if (!inTime) this.#abortHeld('shutdown timeout: in-flight batches aborted; their jobs are handed back to the queue');
    this.#breaker.dispose();
    // BullMQ's close() waits for Redis; with Redis gone it would never return. So the rest of the
    // shutdown gets one bounded grace period, after which this consumer's connections are cut (on
    // Redis only its Workers' blocking ones: the shared client goes with its last holder's release).
    const rest = (async () => {
      await drained;
      await this.#deadLetters.closeWorkers(!inTime);
      await Promise.allSettled([this.#deadLetters.close(), ...[...this.#queues.values()].map((queue) => queue.close()), this.#upkeep.close(), this.#pruner?.close()]);
    })();
    if (!(await settleWithin(rest, CLOSE_GRACE_MS))) {
      const shares = !isPostgresQueueClient(this.#redis);
      await settleWithin(Promise.allSettled([this.#worker.disconnect(shares), ...this.#deadLetters.workers.map((w) => cutWorkerConnections(w.worker, shares))]), 500);
    }
    this.#shared.release();
  }

  #abortHeld(message: string): void {
    if (!this.#abort.signal.aborted) this.#abort.abort(new AbortedError(message));
    this.#breaker.dispose();
  }

  async #process(job: Job, token: string | undefined): Promise<void> {
    // Synchronously, before any await: the Worker reads its concurrency again before its next fetch.
    const release = this.#concurrency?.hold(job.data);
    this.#retention?.adopt(job);
    try {
      await this.#consume(job);
    } catch (err) {
      if (!this.#abort.signal.aborted) throw err;
      // Shutdown: hand the job back to `wait` unpenalised (no attempt spent, no backoff). If Redis
      // is gone the lock lapses instead and the stalled check returns the job; nothing is lost.
      if (token) await settleWithin(job.moveToWait(token), HAND_BACK_TIMEOUT_MS);
      throw new WaitingError();
    } finally {
      release?.();
    }
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

  #flush(batchId: string, items: PendingRequest[], assemblySeconds: number): Promise<void> {
    if (!this.#tracer) return this.#commit(batchId, items, assemblySeconds, undefined);
    // The whole batch runs in its span: the writer's calls, the DLQ write and every event (log) it emits.
    const span = startBatchSpan(this.#tracer, batchId, items);
    return span.run(() => this.#commit(batchId, items, assemblySeconds, span));
  }

  async #commit(batchId: string, items: PendingRequest[], assemblySeconds: number, span: BatchSpan | undefined): Promise<void> {
    const schema = this.schema.name;
    const sink = this.#options.executor.sink;
    this.#metrics.batchAssembled(schema, assemblySeconds, items.length);
    // The accumulator counts this batch once it is handed over; it is in flight from here.
    this.#metrics.inFlightBatches(schema, this.#accumulator.inFlight);
    const started = performance.now();
    try {
      const { failures } = await this.#writer.write(items.map((item) => item.request), this.#abort.signal, batchId);
      const failed = new Set(failures.map((f) => f.index));
      if (failures.length > 0) {
        span?.failed(failures);
        const entries = failures.map((failure) => {
          const item = items[failure.index] as PendingRequest;
          return deadLetterFromFailure(schema, item.request, item.job, item.rowIndex, failure, item.history);
        });
        try {
          const store = () => this.#deadLetter(batchId, entries, (i) => (items[failures[i]?.index ?? 0] as PendingRequest).job.queueName);
          await (span ? span.deadLetter(entries.length, store) : store());
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
      this.#committedRows += committed;
      const deletes = items.reduce((n, item, index) => (item.request.isDelete && !failed.has(index) ? n + 1 : n), 0);
      if (deletes > 0) this.#metrics.deletesCommitted?.(schema, sink, deletes);
      this.#emitSafe('batch:committed', { batchId, schema, size: committed, seconds: (performance.now() - started) / 1000 });
      this.#tracer?.end(batchId, failures.length === 0 ? 'committed' : committed > 0 ? 'partial' : 'dead_lettered');
    } catch (err) {
      this.#tracer?.end(batchId, 'error', err);
      for (const item of items) item.reject(err);
      throw err;
    } finally {
      this.#metrics.inFlightBatches(schema, this.#accumulator.inFlight - 1);
    }
  }

  async #deadLetter(batchId: string | null, entries: readonly KeyedDeadLetter[], queueOf: (index: number) => string): Promise<void> {
    await this.#deadLetters.add(entries, queueOf);
    for (const { entry } of entries) this.#metrics.rowsDeadLettered(this.schema.name, this.#options.executor.sink, entry.reason, 1);
    const event = { batchId, schema: this.schema.name, entries: entries.map((e) => e.entry) };
    this.#voice.deadLettered(event);
    this.#emitSafe('dead-lettered', event);
  }

  #onBreaker(state: BreakerState, cause: HoldCause | undefined): void {
    const sink = this.#options.executor.sink;
    this.#metrics.breakerState(this.schema.name, sink, BREAKER_GAUGE[state]);
    // Stop fetching while the sink is sick: jobs stay safely in the queue (not in this process).
    if (state === 'open' && !this.#worker.isPaused()) void this.#worker.pause(true).catch((err: unknown) => this.#emitError(err));
    if (state === 'closed' && this.#worker.isPaused() && !this.#closing) void this.#worker.resume().catch((err: unknown) => this.#emitError(err));
    const event = { schema: this.schema.name, sink, state, reason: cause?.reason ?? null, errorCode: cause?.code ?? null, message: cause?.message ?? null };
    this.#voice.breaker(event);
    this.#emitSafe('breaker', event);
    void this.#upkeep.publishHealth();
  }

  /** Emits to user listeners; one that throws is reported as an `error` and never fails the job. */
  #emitSafe<K extends Exclude<keyof BatchConsumerEvents, 'error'>>(event: K, ...args: BatchConsumerEvents[K]): void {
    try {
      (this.emit as (e: K, ...a: BatchConsumerEvents[K]) => boolean)(event, ...args);
    } catch (err) {
      this.#emitError(err);
    }
  }

  #emitError(err: unknown): void {
    // BullMQ's blocking connection is a duplicate of ours, without our scrubbing listener.
    redactCommandCredentials(err);
    const listened = this.listenerCount('error') > 0;
    this.#voice.error(this.schema.name, err instanceof Error ? err : new Error(String(err)), listened);
    if (!listened) return;
    try {
      this.emit('error', err instanceof Error ? err : new Error(String(err)));
    } catch {
      // An error listener that throws has nowhere left to report to.
    }
  }
}
