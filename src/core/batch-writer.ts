import { setTimeout as sleep } from 'node:timers/promises';
import { SinkError } from '../errors/sink-error.js';
import { fullJitterDelayMs } from './backoff.js';
import type { BatchExecutor } from './batch-executor.js';
import type { CircuitBreaker } from './circuit-breaker.js';
import { toSinkError } from './classify-node-error.js';
import { isRetryableReason } from './failure-reason.js';
import type { Request } from './request.js';
import type { Schema } from './schema.js';

/** Options of {@link BatchWriter}. */
export interface BatchWriterOptions {
  /**
   * Attempts per (sub-)batch for retryable failures (deadlock, lock timeout, timeout, I/O), including the first.
   * @defaultValue 5
   */
  maxAttempts?: number;
  /** First retry delay ceiling; doubles per attempt, full jitter. @defaultValue 100 */
  retryBaseMs?: number;
  /** Largest retry delay ceiling. @defaultValue 5000 */
  retryMaxMs?: number;
  /** Per executor call time limit; a call over it is aborted and counts as a `timeout`. @defaultValue 30000 */
  batchTimeoutMs?: number;
}

/** Defaults of {@link BatchWriterOptions}. */
export const BATCH_WRITER_DEFAULTS = Object.freeze({ maxAttempts: 5, retryBaseMs: 100, retryMaxMs: 5000, batchTimeoutMs: 30_000 });

/** A request that could not be written, with the error of its last attempt. */
export interface WriteFailure {
  /** Position of the request in the batch given to {@link BatchWriter.write}. */
  readonly index: number;
  readonly error: SinkError;
  /** Executor calls that included this request. */
  readonly attempts: number;
}

/** What became of a batch: every request not listed in `failures` committed. */
export interface WriteOutcome {
  readonly failures: readonly WriteFailure[];
}

/** Observers of each executor call; all optional and synchronous. */
export interface BatchWriterHooks {
  executed?(status: 'ok' | 'retry' | 'error', seconds: number, size: number): void;
  retrying?(error: SinkError, attempt: number, delayMs: number): void;
}

/**
 * Writes one batch through an executor, deciding per failure class:
 * - retryable reasons: retry the same batch with exponential backoff + full jitter, up to `maxAttempts`;
 * - `connection`: report to the circuit breaker and wait for it (never counts against attempts);
 * - `non_retryable`, or retries exhausted: bisect, so good requests commit and only bad ones fail;
 * - `context` (the caller aborted): stop and throw; nothing is marked failed.
 */
export class BatchWriter {
  readonly #options: Required<BatchWriterOptions>;

  constructor(
    readonly executor: BatchExecutor,
    readonly schema: Schema,
    readonly breaker: CircuitBreaker,
    options: BatchWriterOptions = {},
    readonly hooks: BatchWriterHooks = {},
  ) {
    this.#options = { ...BATCH_WRITER_DEFAULTS, ...options };
  }

  /** Writes `requests`; rejects only when `signal` aborts (the caller then leaves the jobs for redelivery). */
  async write(requests: readonly Request[], signal?: AbortSignal): Promise<WriteOutcome> {
    const failures: WriteFailure[] = [];
    await this.#bisect(requests, 0, 0, failures, signal);
    return { failures };
  }

  async #bisect(requests: readonly Request[], offset: number, priorAttempts: number, failures: WriteFailure[], signal?: AbortSignal): Promise<void> {
    const result = await this.#attempt(requests, signal);
    if (result.ok) return;
    const attempts = priorAttempts + result.attempts;
    if (requests.length === 1) {
      failures.push({ index: offset, error: result.error, attempts });
      return;
    }
    const half = Math.ceil(requests.length / 2);
    await this.#bisect(requests.slice(0, half), offset, attempts, failures, signal);
    await this.#bisect(requests.slice(half), offset + half, attempts, failures, signal);
  }

  async #attempt(
    requests: readonly Request[],
    signal?: AbortSignal,
  ): Promise<{ ok: true } | { ok: false; error: SinkError; attempts: number }> {
    let attempts = 0;
    for (;;) {
      await this.breaker.acquire(signal);
      const started = performance.now();
      const timeout = AbortSignal.timeout(this.#options.batchTimeoutMs);
      const callSignal = signal ? AbortSignal.any([signal, timeout]) : timeout;
      let error: SinkError;
      try {
        await this.executor.execute(this.schema, requests, callSignal);
        this.breaker.success();
        this.hooks.executed?.('ok', (performance.now() - started) / 1000, requests.length);
        return { ok: true };
      } catch (err) {
        error = toSinkError(err, callSignal);
      }
      const seconds = (performance.now() - started) / 1000;
      if (signal?.aborted) {
        this.breaker.release();
        this.hooks.executed?.('error', seconds, requests.length);
        throw signal.reason;
      }
      // A call cut off by our own timer is a timeout, whatever the driver reported.
      if (timeout.aborted && error.reason === 'context') {
        error = new SinkError('timeout', `batch exceeded batchTimeoutMs (${this.#options.batchTimeoutMs} ms)`, { cause: error });
      }
      if (error.reason === 'connection') {
        this.breaker.failure();
        this.hooks.executed?.('retry', seconds, requests.length);
        continue;
      }
      this.breaker.success(); // the sink answered, even if with an error
      attempts++;
      if (isRetryableReason(error.reason) && attempts < this.#options.maxAttempts) {
        const delayMs = fullJitterDelayMs(attempts - 1, this.#options.retryBaseMs, this.#options.retryMaxMs);
        this.hooks.executed?.('retry', seconds, requests.length);
        this.hooks.retrying?.(error, attempts, delayMs);
        await sleep(delayMs, undefined, { signal });
        continue;
      }
      this.hooks.executed?.('error', seconds, requests.length);
      return { ok: false, error, attempts };
    }
  }
}

