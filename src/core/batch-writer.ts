import { PartialWriteError } from '../errors/partial-write-error.js';
import { SinkError } from '../errors/sink-error.js';
import { fullJitterDelayMs } from './backoff.js';
import type { BatchExecutor } from './batch-executor.js';
import { holdCause, holdOff, pause } from './batch-hold.js';
import { BATCH_WRITER_DEFAULTS, type BatchWriterOptions } from './batch-writer-options.js';
import type { CircuitBreaker, HoldCause } from './circuit-breaker.js';
import { toSinkError } from './classify-node-error.js';
import { DeadLetterStormGuard, type DeadLetterStormGuardOptions } from './dead-letter-storm-guard.js';
import { failureAction, isContentSuspect } from '../errors/failure-reason.js';
import type { Request } from './request.js';
import { resolveOptions } from './resolve-options.js';
import type { Schema } from './schema.js';
import { probeSink } from './sink-probe.js';
import type { BatchWriterHooks, WriteFailure, WriteOutcome } from './write-outcome.js';
import { partOf, suspectCode, type Answer, type Part, type Suspect } from './write-parts.js';

export { BATCH_WRITER_DEFAULTS, type BatchWriterOptions } from './batch-writer-options.js';
export type { BatchWriterHooks, WriteFailure, WriteOutcome } from './write-outcome.js';

/**
 * Writes one batch through an executor under one rule: **the dead-letter queue is for bad data,
 * never for a sick sink.**
 * - a data error (`non_retryable`): bisect until the bad requests are alone. One is reported as
 *   a failure only if the sink was shown healthy: it committed other requests of this batch, or
 *   answers `ping()`. A wave where most rows fail with one code trips the
 *   {@link DeadLetterStormGuard} and is held instead;
 * - a deadlock: retry the batch with exponential backoff and full jitter, up to `maxAttempts`, then hold;
 * - a code no table knows (`unknown`): the sink's health decides. When a probe write goes through
 *   (`probeWrite`, else `ping`), a healthy sink raised it for this content, so it is bisected like a
 *   data error (SQLSTATE 21000, MySQL 1153, …); otherwise it holds like a sick sink;
 * - anything else (lock and statement timeouts, connection, TLS, auth, read-only, disk full): hold. The breaker counts the streak, the batch is retried after a growing
 *   backoff, and after `threshold` failures the breaker opens and probes until the sink is back,
 *   however long that takes. Nothing is dead-lettered and no attempt is spent;
 * - a {@link PartialWriteError}: the applied requests are done and never sent again; the failed
 *   ones are decided by their own errors;
 * - `context` (the caller aborted): stop and throw; nothing is decided.
 */
export class BatchWriter {
  readonly #options: Readonly<Required<Omit<BatchWriterOptions, keyof DeadLetterStormGuardOptions>>>;
  readonly #storms: DeadLetterStormGuard;

  constructor(
    readonly executor: BatchExecutor,
    readonly schema: Schema,
    readonly breaker: CircuitBreaker,
    options: BatchWriterOptions = {},
    readonly hooks: BatchWriterHooks = {},
  ) {
    const { stormRatio, stormMinRows, stormWindowRows, ...rest } = options;
    this.#options = resolveOptions(BATCH_WRITER_DEFAULTS, rest);
    this.#storms = new DeadLetterStormGuard({ stormRatio, stormMinRows, stormWindowRows });
  }

  /**
   * Writes `requests`. Resolves once every request committed or was proven bad (listed in
   * `failures`); until then it holds the batch, however long the sink is sick. Rejects only when
   * `signal` aborts (the caller then leaves the jobs for redelivery).
   */
  async write(requests: readonly Request[], signal?: AbortSignal, batchId?: string): Promise<WriteOutcome> {
    let pending: Part = { requests, indexes: requests.map((_, i) => i), calls: 0 };
    let stormCode: string | undefined;
    const proven: WriteFailure[] = [];
    for (let round = 0; ; round++) {
      const suspects: Suspect[] = [];
      const since = this.#storms.generation;
      const committed = await this.#resolve(pending, suspects, stormCode, signal, batchId);
      if (stormCode !== undefined && committed > 0) this.#storms.cleared(stormCode);
      if (suspects.length === 0) {
        this.#storms.record(committed, []);
        return { failures: proven };
      }
      const unhealthy = committed > 0 ? undefined : await this.#probe(signal);
      if (unhealthy) {
        // No evidence against the requests: the sink may be what fails. Keep them all, try later.
        pending = partOf(suspects);
        await this.#holdOff(unhealthy, round, signal);
        continue;
      }
      const codes = suspects.map(suspectCode);
      const storm = this.#storms.assess(committed, codes);
      // Suspects failing with another code than the storm's fail alone on a healthy sink: proven bad.
      const bad = storm ? suspects.filter((s) => suspectCode(s) !== storm.code) : suspects;
      // A held set that failed whole while the window turned (other batches committed meanwhile)
      // proves nothing about any one request: bisect it again rather than dead-letter it whole.
      // So does a lone failure with the code of a storm that cleared during this round (another
      // batch's held rows committed): it may have failed before the fix, so it is tried again.
      const unproven = bad.filter((s) => !s.alone || this.#storms.clearedSince(since, suspectCode(s)));
      const stillSuspect = new Set(unproven);
      const lone = bad.filter((s) => !stillSuspect.has(s));
      this.#storms.record(committed, lone.map(suspectCode));
      proven.push(...lone.map((s) => ({ index: s.index, error: s.error, attempts: s.calls })));
      if (!storm) {
        if (unproven.length === 0) return { failures: proven };
        stormCode = undefined;
        pending = partOf(unproven);
        continue;
      }
      // A wave that looks like schema drift: hold it like a sick sink instead of draining it into the DLQ.
      stormCode = storm.code;
      // Held with it: whatever is not yet proven either way (kept in the batch's order).
      pending = partOf(suspects.filter((s) => suspectCode(s) === storm.code || stillSuspect.has(s)));
      const message = `dead-letter storm guard: ${storm.failed} of the last ${storm.total} rows failed with ${storm.code}; holding them (the table, not the rows, is likely at fault)`;
      await this.#holdOff({ reason: 'schema', code: storm.code, message }, round, signal);
    }
  }

  /** Settles one part: commits what the sink takes, bisects data errors, collects suspects. Returns the rows committed. */
  async #resolve(part: Part, suspects: Suspect[], stormCode: string | undefined, signal?: AbortSignal, batchId?: string): Promise<number> {
    const answer = await this.#attempt(part, signal, batchId);
    if (answer.kind === 'ok') return part.requests.length;
    if (answer.kind === 'partial') return this.#resolvePartial(part, answer.error, answer.calls, suspects, stormCode, signal, batchId);
    const { error, calls } = answer;
    if (part.requests.length === 1 || (stormCode !== undefined && (error.sinkCode ?? error.reason) === stormCode)) {
      // A lone request, or still the storm's code for the whole held set (the drift is not fixed): no further bisection.
      const alone = part.requests.length === 1;
      part.requests.forEach((request, i) => suspects.push({ index: part.indexes[i] as number, request, error, calls, alone }));
      return 0;
    }
    const half = Math.ceil(part.requests.length / 2);
    const left = { requests: part.requests.slice(0, half), indexes: part.indexes.slice(0, half), calls };
    const right = { requests: part.requests.slice(half), indexes: part.indexes.slice(half), calls };
    return (await this.#resolve(left, suspects, undefined, signal, batchId)) + (await this.#resolve(right, suspects, undefined, signal, batchId));
  }

  async #resolvePartial(part: Part, error: PartialWriteError, calls: number, suspects: Suspect[], stormCode: string | undefined, signal?: AbortSignal, batchId?: string): Promise<number> {
    const held: number[] = [];
    const failedAt = new Set<number>();
    for (const failure of error.failures) {
      const request = part.requests[failure.index];
      if (!request || failedAt.has(failure.index)) continue;
      failedAt.add(failure.index);
      if (failureAction(failure.error.reason) === 'bisect') suspects.push({ index: part.indexes[failure.index] as number, request, error: failure.error, calls, alone: true });
      else held.push(failure.index);
    }
    const committed = part.requests.length - failedAt.size;
    if (committed > 0) this.breaker.success();
    if (held.length === 0) return committed;
    // Only the requests that did not apply are sent again, after the hold's backoff.
    const first = error.failures.find((f) => held.includes(f.index))?.error ?? error;
    this.breaker.failure(holdCause(first));
    await this.#holdOff(undefined, 0, signal);
    const rest = { requests: held.map((i) => part.requests[i] as Request), indexes: held.map((i) => part.indexes[i] as number), calls };
    return committed + (await this.#resolve(rest, suspects, stormCode, signal, batchId));
  }

  /** Calls the executor until the sink answers: retries deadlocks, holds every failure that is not the data's. */
  async #attempt(part: Part, signal?: AbortSignal, batchId?: string): Promise<Answer> {
    let deadlocks = 0;
    let calls = part.calls;
    for (;;) {
      await this.breaker.acquire(signal);
      const started = performance.now();
      const timeout = AbortSignal.timeout(this.#options.batchTimeoutMs);
      const callSignal = signal ? AbortSignal.any([signal, timeout]) : timeout;
      const size = part.requests.length;
      let error: SinkError;
      calls++;
      try {
        await this.executor.execute(this.schema, part.requests, callSignal);
        this.breaker.success();
        this.hooks.executed?.('ok', (performance.now() - started) / 1000, size, batchId);
        return { kind: 'ok' };
      } catch (err) {
        error = toSinkError(err, callSignal);
      }
      const seconds = (performance.now() - started) / 1000;
      if (signal?.aborted) {
        this.breaker.release();
        this.hooks.executed?.('error', seconds, size, batchId, error);
        throw signal.reason;
      }
      // A call cut off by our own timer is a timeout, whatever the driver reported.
      if (timeout.aborted && error.reason === 'context') {
        error = new SinkError('timeout', `batch exceeded batchTimeoutMs (${this.#options.batchTimeoutMs} ms)`, { cause: error });
      }
      if (error instanceof PartialWriteError) {
        this.hooks.executed?.('error', seconds, size, batchId, error);
        return { kind: 'partial', error, calls };
      }
      const action = failureAction(error.reason);
      // A code no table knows: the sink's health decides. A healthy sink (a probe write goes
      // through) raised it for this content, so it is isolated like a data error; a sick one holds.
      if (action === 'bisect' || (action === 'hold' && isContentSuspect(error.reason) && (await this.#probe(signal, true)) === undefined)) {
        this.breaker.release(); // the sink answered, but a data error proves nothing about its health
        this.hooks.executed?.('error', seconds, size, batchId, error);
        return { kind: 'data', error, calls };
      }
      this.hooks.executed?.('retry', seconds, size, batchId, error);
      if (action === 'retry' && ++deadlocks < this.#options.maxAttempts) {
        this.breaker.release();
        const delayMs = fullJitterDelayMs(deadlocks - 1, this.#options.retryBaseMs, this.#options.retryMaxMs);
        this.hooks.retrying?.(error, deadlocks, delayMs, batchId);
        await pause(delayMs, signal);
        continue;
      }
      // `hold`, a context error without our abort, or deadlocks that would not stop.
      this.breaker.failure(holdCause(error));
      this.hooks.retrying?.(error, this.breaker.streak, 0, batchId);
      await this.#holdOff(undefined, 0, signal);
    }
  }

  /** Asks the sink whether it is healthy (see {@link probeSink}): the failure that says it is not, or undefined. */
  #probe(signal?: AbortSignal, write = false): Promise<HoldCause | undefined> {
    return probeSink(this.executor, this.schema, this.#options.batchTimeoutMs, signal, write);
  }

  /** Waits before a held batch is tried again (see {@link holdOff}). */
  #holdOff(cause: HoldCause | undefined, round: number, signal?: AbortSignal): Promise<void> {
    return holdOff(this.breaker, this.#options, cause, round, signal);
  }
}
