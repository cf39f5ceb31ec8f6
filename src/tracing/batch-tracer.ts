import type { Link, Span, Tracer } from '@opentelemetry/api';
import type { BatchWriterHooks, WriteFailure } from '../core/batch-writer.js';
import type { SinkError } from '../errors/sink-error.js';
import type { OtelApiModule } from './otel-api.js';
import { parseTraceparent } from './trace-context.js';

/** The instrumentation scope of BatchFlow's spans. */
export const TRACER_NAME = 'bullmq-batchflow';

/** How a batch ended: every request committed, some or all were dead-lettered, or it did not finish here. */
export type BatchOutcome = 'committed' | 'partial' | 'dead_lettered' | 'error';

/**
 * One batch's span, `batchflow.batch`: opened when the batch is handed to the writer, linked to
 * the span of every request it carries (a batch has many parents; links, not a parent, say so).
 */
export class BatchSpan {
  constructor(
    readonly span: Span,
    readonly api: OtelApiModule,
    readonly tracer: Tracer,
  ) {}

  /** Runs `work` with this span active, so the driver's own spans (pg, mysql2 instrumentation) nest under it. */
  run<T>(work: () => Promise<T>): Promise<T> {
    return this.api.context.with(this.api.trace.setSpan(this.api.context.active(), this.span), work);
  }

  /** Records the requests proven bad: one event each (position, reason, code), and the first one's reason and code as attributes. */
  failed(failures: readonly WriteFailure[]): void {
    const first = failures[0];
    if (!first) return;
    this.span.setAttributes({ 'batchflow.failed_requests': failures.length, ...failureAttributes(first.error) });
    for (const failure of failures) {
      this.span.addEvent('batchflow.request_failed', { 'batchflow.request.index': failure.index, 'batchflow.request.attempts': failure.attempts, ...failureAttributes(failure.error) });
    }
  }

  /** Runs `store` (the DLQ write) as a child span `batchflow.dead_letter` of `count` entries. */
  deadLetter<T>(count: number, store: () => Promise<T>): Promise<T> {
    return childSpan(this.api, this.tracer, 'batchflow.dead_letter', { 'batchflow.dead_letter.count': count }, store, this.span);
  }

  /** Ends the span with its outcome; an error (the batch did not finish here) sets the span's status to ERROR. */
  end(outcome: BatchOutcome, error?: unknown): void {
    this.span.setAttribute('batchflow.outcome', outcome);
    if (error !== undefined) {
      const err = error instanceof Error ? error : new Error(String(error));
      this.span.recordException(err);
      this.span.setStatus({ code: this.api.SpanStatusCode.ERROR, message: err.message });
      const code = (error as { code?: unknown }).code;
      if (typeof code === 'string') this.span.setAttribute('batchflow.error.code', code);
    }
    this.span.end();
  }
}

/**
 * Opens the spans of one consumer: one per batch, a child per executor call (so a bisection shows
 * as its halves), events for retries and held batches, and a child for each DLQ write.
 */
export class BatchTracer {
  readonly #tracer: Tracer;
  /** Open batch spans by batch id: the writer's hooks name the batch, not the span. */
  readonly #open = new Map<string, BatchSpan>();

  constructor(
    readonly api: OtelApiModule,
    readonly schema: string,
    readonly sink: string,
  ) {
    this.#tracer = api.trace.getTracer(TRACER_NAME);
  }

  /**
   * Opens the span of a batch. `traceparents` are its requests' recorded contexts (duplicates, as
   * from one `submitMany()`, give one link); `attempt` is the highest delivery attempt among its jobs;
   * `attributes` adds to the span's (e.g. how many of its requests are DLQ replays).
   */
  start(batchId: string, traceparents: Iterable<string | undefined>, attempt: number, attributes: Readonly<Record<string, number>> = {}): BatchSpan {
    const links: Link[] = [];
    const seen = new Set<string>();
    let size = 0;
    for (const traceparent of traceparents) {
      size++;
      if (traceparent === undefined || seen.has(traceparent)) continue;
      seen.add(traceparent);
      const context = parseTraceparent(traceparent);
      if (context) links.push({ context });
    }
    const span = this.#tracer.startSpan('batchflow.batch', {
      kind: this.api.SpanKind.CONSUMER,
      links,
      attributes: {
        'batchflow.schema': this.schema,
        'batchflow.sink': this.sink,
        'batchflow.batch.id': batchId,
        'batchflow.batch.size': size,
        'batchflow.attempt': attempt,
        'batchflow.linked_requests': links.length,
        ...attributes,
      },
    });
    const batch = new BatchSpan(span, this.api, this.#tracer);
    this.#open.set(batchId, batch);
    return batch;
  }

  /** Ends a batch's span (see {@link BatchSpan.end}) and forgets it. */
  end(batchId: string, outcome: BatchOutcome, error?: unknown): void {
    this.#open.get(batchId)?.end(outcome, error);
    this.#open.delete(batchId);
  }

  /** The writer's hooks: each executor call becomes a child span `batchflow.execute`; each retry or hold an event. */
  hooks(next: BatchWriterHooks): BatchWriterHooks {
    return {
      executed: (status, seconds, size, batchId, error) => {
        next.executed?.(status, seconds, size, batchId, error);
        const batch = batchId === undefined ? undefined : this.#open.get(batchId);
        if (!batch) return;
        const parent = this.api.trace.setSpan(this.api.context.active(), batch.span);
        const span = this.#tracer.startSpan('batchflow.execute', { startTime: Date.now() - seconds * 1000, attributes: { 'batchflow.execute.size': size, 'batchflow.execute.status': status, ...(error && failureAttributes(error)) } }, parent);
        if (error) span.setStatus({ code: this.api.SpanStatusCode.ERROR, message: error.message });
        span.end();
      },
      retrying: (error, attempt, delayMs, batchId) => {
        next.retrying?.(error, attempt, delayMs, batchId);
        const batch = batchId === undefined ? undefined : this.#open.get(batchId);
        batch?.span.addEvent(delayMs > 0 ? 'batchflow.retry' : 'batchflow.hold', { 'batchflow.retry.attempt': attempt, 'batchflow.retry.delay_ms': delayMs, ...failureAttributes(error) });
      },
    };
  }
}

/** Runs `work` as a span `name` (a child of `parent`, else of the active span), ending it with ERROR if it throws. */
export async function childSpan<T>(api: OtelApiModule, tracer: Tracer, name: string, attributes: Record<string, string | number>, work: () => Promise<T>, parent?: Span): Promise<T> {
  const context = parent ? api.trace.setSpan(api.context.active(), parent) : api.context.active();
  const span = tracer.startSpan(name, { attributes }, context);
  try {
    return await api.context.with(api.trace.setSpan(context, span), work);
  } catch (err) {
    span.recordException(err instanceof Error ? err : new Error(String(err)));
    span.setStatus({ code: api.SpanStatusCode.ERROR });
    throw err;
  } finally {
    span.end();
  }
}

function failureAttributes(error: SinkError): Record<string, string> {
  return error.sinkCode === undefined ? { 'batchflow.failure.reason': error.reason } : { 'batchflow.failure.reason': error.reason, 'batchflow.failure.code': error.sinkCode };
}
