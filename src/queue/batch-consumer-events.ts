import type { BreakerState } from '../core/circuit-breaker.js';
import type { DeadLetterEntry } from './dead-letter-entry.js';

/** Events a {@link BatchConsumer} emits; the payloads are plain data, safe to log. */
export interface BatchConsumerEvents {
  /** A batch (or sub-batch after bisection) committed. */
  'batch:committed': [{ batchId: string; schema: string; size: number; seconds: number }];
  /** A batch failed with a retryable reason and will be retried after `delayMs`. */
  'batch:retry': [{ batchId: string; schema: string; reason: string; errorCode: string | null; attempt: number; delayMs: number }];
  /** Requests were stored in the dead-letter queue. */
  'dead-lettered': [{ batchId: string | null; schema: string; entries: DeadLetterEntry[] }];
  /** The circuit breaker changed state (`open`: consumption paused; `closed`: resumed). */
  breaker: [{ schema: string; sink: string; state: BreakerState }];
  /** An operational error that did not stop the consumer (Redis hiccup, failed DLQ write). */
  error: [Error];
}
