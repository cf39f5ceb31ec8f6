import type { AccumulatorState } from '../../core/batch-accumulator.js';
import type { BreakerState, HoldCause } from '../../core/circuit-breaker.js';
import type { DeadLetterEntry } from '../dead-letter-entry.js';

/** Events a {@link BatchConsumer} emits; the payloads are plain data, safe to log. */
export interface BatchConsumerEvents {
  /** A batch committed: `size` requests, after any bisection (requests proven bad are in `dead-lettered`). */
  'batch:committed': [{ batchId: string; schema: string; size: number; seconds: number }];
  /**
   * A batch (or part of one) failed without any evidence against its requests and will be tried
   * again: after `delayMs` for a deadlock; for a failure that holds it (`attempt` is then the
   * breaker's streak), after the hold's backoff or the breaker's probe.
   */
  'batch:retry': [{ batchId: string; schema: string; reason: string; errorCode: string | null; attempt: number; delayMs: number }];
  /** Requests were stored in the dead-letter queue. */
  'dead-lettered': [{ batchId: string | null; schema: string; entries: DeadLetterEntry[] }];
  /**
   * The circuit breaker changed state (`open`: consumption paused; `closed`: resumed), with the
   * failure that holds work (`reason`, the sink's `errorCode`, `message`), or nulls once it is clear.
   */
  breaker: [{ schema: string; sink: string; state: BreakerState; reason: string | null; errorCode: string | null; message: string | null }];
  /**
   * A queue of another `partitions` layout that holds work (or dead letters) is drained beside the
   * schema's own (`draining: true`), or was let go once empty (`draining: false`).
   */
  layout: [{ schema: string; queue: string; draining: boolean }];
  /** An operational error that did not stop the consumer (Redis hiccup, failed DLQ write). */
  error: [Error];
}

/** The accumulator's states, plus `closing` while `close()` drains in-flight batches. */
export type BatchConsumerState = AccumulatorState | 'closing';

/** Whether the sink is taking work, and if not, why: for `/readyz`, `stats` and logs. */
export interface ConsumerHealth {
  readonly breaker: BreakerState;
  /** Consecutive failures that count against the sink. */
  readonly streak: number;
  /** The failure that holds work (a sick sink or a dead-letter storm), while it lasts. */
  readonly holding: HoldCause | undefined;
}
