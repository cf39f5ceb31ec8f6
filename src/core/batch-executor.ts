import type { DeliveryLedger } from './delivery.js';
import type { Request } from './request.js';
import type { Schema } from './schema.js';

/**
 * A sink that writes one batch of one schema atomically: all requests commit, or none do.
 * Implement it to plug in your own sink (another SQL dialect, a document store, an HTTP API).
 *
 * Throw a `SinkError` with a {@link FailureReason} so the pipeline can decide between retry,
 * circuit breaker and bisection; any other error is classified by its Node `errno` code (also
 * on `cause`), or held as `unknown`. Only `non_retryable` can send a request to the DLQ, so use
 * it only when the request itself is at fault.
 *
 * @example
 * An HTTP sink. `fetch` resolves on any status, so check it: a 2xx is the commit, anything else
 * must throw, or a 5xx would count as committed. A network failure (`TypeError('fetch failed')`,
 * its code such as `ECONNREFUSED` on `cause`) is left to the pipeline, which classifies it.
 * ```ts
 * const executor: BatchExecutor = {
 *   sink: 'http',
 *   async execute(schema, requests, signal) {
 *     const body = JSON.stringify(requests.map((r) => r.toRow()), (_key, v) => (typeof v === 'bigint' ? v.toString() : v));
 *     const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal });
 *     if (res.ok) return;
 *     await res.body?.cancel();
 *     const message = `${schema.name}: HTTP ${res.status} ${res.statusText}`;
 *     const sinkCode = `HTTP_${res.status}`;
 *     // The service is down or busy (503, 429, …): hold the batch; backoff and the breaker take over.
 *     if (res.status >= 500 || res.status === 429 || res.status === 408) throw new SinkError('connection', message, { sinkCode });
 *     if (res.status === 401 || res.status === 403) throw new SinkError('auth', message, { sinkCode });
 *     // The service refused the data (400, 409, 422): bisection isolates the bad requests for the DLQ.
 *     if (res.status === 400 || res.status === 409 || res.status === 422) throw new SinkError('non_retryable', message, { sinkCode });
 *     throw new SinkError('unknown', message, { sinkCode }); // 404, 413, …: a configuration problem, hold
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
  /**
   * Proves that the sink takes writes to the schema's table right now, without changing it (e.g.
   * a zero-row `INSERT` in a transaction): a read-only, locked or restarting sink fails it, while a
   * ping would still answer. Used after an error with a code no table knows (`unknown`): when the
   * probe write succeeds, the error is the content's and the batch is bisected; else it is held.
   * Without it, `ping` stands in.
   */
  probeWrite?(schema: Schema, signal?: AbortSignal): Promise<void>;
  /** Releases connections the executor opened itself (never the user's own pool). */
  close?(): Promise<void>;
  /** The exactly-once ledger (SQL drivers), pruned by the consumer; absent where `delivery: 'exactly-once'` is not supported. */
  readonly ledger?: DeliveryLedger;
}
