import type { Request } from './request.js';
import type { Schema } from './schema.js';

/**
 * A sink that writes one batch of one schema atomically: all requests commit, or none do.
 * Implement it to plug in your own sink (another SQL dialect, a document store, an HTTP API).
 *
 * Throw a `SinkError` with a {@link FailureReason} so the pipeline can decide between retry,
 * circuit breaker and bisection; any other error is classified by its Node `errno` code,
 * or treated as `non_retryable`.
 *
 * @example
 * ```ts
 * const executor: BatchExecutor = {
 *   sink: 'http',
 *   async execute(schema, requests, signal) {
 *     await fetch(url, { method: 'POST', body: JSON.stringify(requests.map((r) => r.toRow())), signal });
 *   },
 * };
 * ```
 */
export interface BatchExecutor {
  /** Short sink name used in metric labels and logs, e.g. `postgres`. */
  readonly sink: string;
  /**
   * Writes all requests in one transaction. Must honour `signal`: when it aborts, stop
   * and roll back. Must not partially commit.
   */
  execute(schema: Schema, requests: readonly Request[], signal?: AbortSignal): Promise<void>;
  /** A cheap check that the sink answers (e.g. `SELECT 1`), used by the circuit breaker's half-open probe. */
  ping?(signal?: AbortSignal): Promise<void>;
  /** Releases connections the executor opened itself (never the user's own pool). */
  close?(): Promise<void>;
}
