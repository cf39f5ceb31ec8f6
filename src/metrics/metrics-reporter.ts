/** Outcome of one executor call, for the execute-duration metric. */
export type ExecuteStatus = 'ok' | 'retry' | 'error';

/** Circuit breaker state as a gauge value: 0 closed, 1 half-open, 2 open. */
export type BreakerStateValue = 0 | 1 | 2;

/** Queue states whose depth is reported. `dlq` is the schema's dead-letter queue. */
export type QueueDepthState = 'waiting' | 'active' | 'delayed' | 'failed' | 'dlq';

/**
 * Called by producers and consumers at each stage. Every method must be cheap and must
 * never throw: it runs on the hot path. Labels come only from this fixed set: schema,
 * sink, status, reason (and state for queue depth), so cardinality stays bounded.
 */
export interface MetricsReporter {
  /** Requests stored in the queue by `submit()`/`submitMany()`, with the time the call took. */
  requestsEnqueued(schema: string, count: number, seconds: number): void;
  /** Time from a batch's first request to its flush. */
  batchAssembled(schema: string, seconds: number, size: number): void;
  /** One executor call: its duration, batch size and status. */
  batchExecuted(schema: string, sink: string, status: ExecuteStatus, seconds: number, size: number): void;
  /** Requests committed by the sink. */
  rowsCommitted(schema: string, sink: string, count: number): void;
  /** Of the requests committed ({@link MetricsReporter.rowsCommitted}), the deletes by key; optional for reporters written before deletes. */
  deletesCommitted?(schema: string, sink: string, count: number): void;
  /** Requests sent to the dead-letter queue, by reason. */
  rowsDeadLettered(schema: string, sink: string, reason: string, count: number): void;
  /** An error, classified as `retry:<reason>` or `final:<reason>`. */
  error(schema: string, sink: string, kind: `retry:${string}` | `final:${string}`): void;
  /** Batches currently executing for the schema in this process. */
  inFlightBatches(schema: string, count: number): void;
  /** Circuit breaker state for the schema's sink. */
  breakerState(schema: string, sink: string, state: BreakerStateValue): void;
  /** Time from submit to commit, per request. */
  requestLatency(schema: string, seconds: number): void;
  /** Queue depth gauge. */
  queueDepth(schema: string, state: QueueDepthState, count: number): void;
  /**
   * The size batches of the schema are flushed at now: fixed, or chosen by `flushSize: 'auto'`.
   * Optional, so reporters written before it keep compiling.
   */
  flushSize?(schema: string, size: number): void;
}

/** A reporter that does nothing, the default: costs one empty call per stage. */
export const noopMetrics: MetricsReporter = Object.freeze({
  requestsEnqueued() {},
  batchAssembled() {},
  batchExecuted() {},
  rowsCommitted() {},
  deletesCommitted() {},
  rowsDeadLettered() {},
  error() {},
  inFlightBatches() {},
  breakerState() {},
  requestLatency() {},
  queueDepth() {},
  flushSize() {},
});
