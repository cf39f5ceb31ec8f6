import { randomUUID } from 'node:crypto';
import type { Job } from 'bullmq';
import type { BatchWriter } from '../../core/batch-writer.js';
import type { MetricsReporter } from '../../metrics/metrics-reporter.js';
import type { BatchSpan, BatchTracer } from '../../tracing/batch-tracer.js';
import { deadLetterFromFailure, type KeyedDeadLetter } from '../dead-letter/index.js';
import { startBatchSpan } from './batch-span.js';
import type { ConsumerEmitter } from './consumer-emitter.js';
import type { PendingRequest } from './pending-request.js';

/** What {@link BatchCommitter} needs from its consumer. */
export interface BatchCommitterOptions {
  readonly schema: string;
  readonly sink: string;
  readonly writer: BatchWriter;
  /** Aborted at shutdown: the batches in flight give up and their jobs are handed back. */
  readonly signal: AbortSignal;
  readonly metrics: MetricsReporter;
  /** With `tracing`: opens each batch's span. */
  readonly tracer: BatchTracer | undefined;
  /** The batches in flight, this one included (the accumulator counts a batch once it is handed over). */
  readonly inFlight: () => number;
  /** Stores entries in the DLQ of the queue each came from, and tells of them. */
  readonly deadLetter: (batchId: string, entries: readonly KeyedDeadLetter[], queueOf: (index: number) => string) => Promise<void>;
  readonly emitter: ConsumerEmitter;
}

/**
 * The flush of one batch, as the accumulator hands it over: writes it through the
 * {@link BatchWriter}, stores the requests proven bad in the DLQ, then settles every request's
 * promise (so its job completes), with the metrics and the `batch:committed` event.
 */
export class BatchCommitter {
  readonly #o: BatchCommitterOptions;
  /** Rows committed since start, for the rate published on the health board. */
  #committedRows = 0;

  constructor(options: BatchCommitterOptions) {
    this.#o = options;
  }

  /** Rows committed since start. */
  get committedRows(): number {
    return this.#committedRows;
  }

  /** Writes one batch under a new batch id; rejects (and so fails its requests' jobs) only when the batch did not commit. */
  flush(items: PendingRequest[], assemblySeconds: number): Promise<void> {
    const batchId = randomUUID();
    const tracer = this.#o.tracer;
    if (!tracer) return this.#commit(batchId, items, assemblySeconds, undefined);
    // The whole batch runs in its span: the writer's calls, the DLQ write and every event (log) it emits.
    const span = startBatchSpan(tracer, batchId, items);
    return span.run(() => this.#commit(batchId, items, assemblySeconds, span));
  }

  async #commit(batchId: string, items: PendingRequest[], assemblySeconds: number, span: BatchSpan | undefined): Promise<void> {
    const { schema, sink, metrics, tracer } = this.#o;
    metrics.batchAssembled(schema, assemblySeconds, items.length);
    // The accumulator counts this batch once it is handed over; it is in flight from here.
    metrics.inFlightBatches(schema, this.#o.inFlight());
    const started = performance.now();
    try {
      const { failures } = await this.#o.writer.write(items.map((item) => item.request), this.#o.signal, batchId);
      const failed = new Set(failures.map((f) => f.index));
      if (failures.length > 0) {
        span?.failed(failures);
        const entries = failures.map((failure) => {
          const item = items[failure.index] as PendingRequest;
          return deadLetterFromFailure(schema, item.request, item.job, item.rowIndex, failure, item.history);
        });
        try {
          const store = () => this.#o.deadLetter(batchId, entries, (i) => (items[failures[i]?.index ?? 0] as PendingRequest).job.queueName);
          await (span ? span.deadLetter(entries.length, store) : store());
        } catch (err) {
          // Not stored in the DLQ: fail those jobs so BullMQ redelivers them later; nothing is lost.
          for (const index of failed) items[index]?.reject(err);
          this.#o.emitter.error(err);
        }
        for (const failure of failures) metrics.error(schema, sink, `final:${failure.error.reason}`);
      }
      const committed = items.length - failures.length;
      const now = Date.now();
      let lastJob: Job | undefined;
      items.forEach((item, index) => {
        if (failed.has(index)) {
          item.resolve(); // dead-lettered (if the DLQ write failed, reject above already won)
          return;
        }
        if (item.job !== lastJob) metrics.requestLatency(schema, (now - item.job.timestamp) / 1000);
        lastJob = item.job;
        item.resolve();
      });
      metrics.rowsCommitted(schema, sink, committed);
      this.#committedRows += committed;
      const deletes = items.reduce((n, item, index) => (item.request.isDelete && !failed.has(index) ? n + 1 : n), 0);
      if (deletes > 0) metrics.deletesCommitted?.(schema, sink, deletes);
      this.#o.emitter.emit('batch:committed', { batchId, schema, size: committed, seconds: (performance.now() - started) / 1000 });
      tracer?.end(batchId, failures.length === 0 ? 'committed' : committed > 0 ? 'partial' : 'dead_lettered');
    } catch (err) {
      tracer?.end(batchId, 'error', err);
      for (const item of items) item.reject(err);
      throw err;
    } finally {
      metrics.inFlightBatches(schema, this.#o.inFlight() - 1);
    }
  }
}
