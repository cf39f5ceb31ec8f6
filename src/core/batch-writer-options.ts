import type { DeadLetterStormGuardOptions } from './dead-letter-storm-guard.js';

/** Options of {@link BatchWriter}. */
export interface BatchWriterOptions extends DeadLetterStormGuardOptions {
  /**
   * Tries of a batch that hits a deadlock or serialization failure before the failure counts
   * against the sink (backoff, then the breaker). It never sends a request to the DLQ.
   * @defaultValue 5
   */
  maxAttempts?: number;
  /** First retry delay ceiling; doubles per try, full jitter. @defaultValue 100 */
  retryBaseMs?: number;
  /** Largest retry delay ceiling while the breaker is still closed. @defaultValue 5000 */
  retryMaxMs?: number;
  /** Per executor call time limit; a call over it is aborted and counts as a `timeout` (which holds the batch). @defaultValue 30000 */
  batchTimeoutMs?: number;
}

/** Defaults of {@link BatchWriterOptions}. */
export const BATCH_WRITER_DEFAULTS = Object.freeze({ maxAttempts: 5, retryBaseMs: 100, retryMaxMs: 5000, batchTimeoutMs: 30_000 });
