import { setTimeout as sleep } from 'node:timers/promises';
import { PartialWriteError } from '../errors/partial-write-error.js';
import { SinkError } from '../errors/sink-error.js';
import { fullJitterDelayMs } from './backoff.js';
import type { BatchExecutor } from './batch-executor.js';
import type { CircuitBreaker, HoldCause } from './circuit-breaker.js';
import { toSinkError } from './classify-node-error.js';
import { DeadLetterStormGuard, type DeadLetterStormGuardOptions } from './dead-letter-storm-guard.js';
import { failureAction, isContentSuspect } from '../errors/failure-reason.js';
import type { Request } from './request.js';
import { resolveOptions } from './resolve-options.js';
import type { Schema } from './schema.js';

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

/** A request proven bad: it failed alone with a data error while the sink was shown healthy. */
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
  /** One executor call answered (`error`: what it failed with) for the batch `batchId`. */
  executed?(status: 'ok' | 'retry' | 'error', seconds: number, size: number, batchId?: string, error?: SinkError): void;
  /** A batch (or part of one) will be tried again after `delayMs`: a deadlock, or a failure that holds it. */
  retrying?(error: SinkError, attempt: number, delayMs: number, batchId: string | undefined): void;
}

/** A slice of the batch, with each request's position in the whole. */
interface Part {
  readonly requests: readonly Request[];
  readonly indexes: readonly number[];
  /** Executor calls so far that included these requests. */
  readonly calls: number;
}

/** What the sink said to one part, once it answered at all (held failures never come back). */
type Answer = { kind: 'ok' } | { kind: 'data'; error: SinkError; calls: number } | { kind: 'partial'; error: PartialWriteError; calls: number };

/** Data-error failures found in one round, before the sink's health is known. */
interface Suspect {
  readonly index: number;
  readonly request: Request;
  readonly error: SinkError;
  readonly calls: number;
  /**
   * Whether it failed on its own (a lone request, or a sink's per-request answer). A held storm
   * set that failed whole is no evidence against any one of its requests.
   */
  readonly alone: boolean;
}

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
      const codes = suspects.map(codeOf);
      const storm = this.#storms.assess(committed, codes);
      // Suspects failing with another code than the storm's fail alone on a healthy sink: proven bad.
      const bad = storm ? suspects.filter((s) => codeOf(s) !== storm.code) : suspects;
      // A held set that failed whole while the window turned (other batches committed meanwhile)
      // proves nothing about any one request: bisect it again rather than dead-letter it whole.
      // So does a lone failure with the code of a storm that cleared during this round (another
      // batch's held rows committed): it may have failed before the fix, so it is tried again.
      const unproven = bad.filter((s) => !s.alone || this.#storms.clearedSince(since, codeOf(s)));
      const lone = bad.filter((s) => !unproven.includes(s));
      this.#storms.record(committed, lone.map(codeOf));
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
      pending = partOf(suspects.filter((s) => codeOf(s) === storm.code || unproven.includes(s)));
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

  /**
   * Asks the sink whether it is healthy; the failure that says it is not, or undefined. With
   * `write`, the probe must be a write (`probeWrite`): a read-only or locked sink still answers a
   * ping. An executor with neither vouched for its own classification: data errors count as
   * proven, and an unknown code (no probe to tell) holds as before.
   */
  async #probe(signal?: AbortSignal, write = false): Promise<HoldCause | undefined> {
    const timed = signal ? AbortSignal.any([signal, AbortSignal.timeout(this.#options.batchTimeoutMs)]) : AbortSignal.timeout(this.#options.batchTimeoutMs);
    const probe = write ? this.executor.probeWrite?.bind(this.executor, this.schema) ?? this.executor.ping?.bind(this.executor) : this.executor.ping?.bind(this.executor);
    if (!probe) return write ? { reason: 'unknown', code: undefined, message: `${this.executor.sink}: no probe to tell a sick sink from bad content` } : undefined;
    try {
      await probe(timed);
      return undefined;
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      const error = toSinkError(err);
      return holdCause(failureAction(error.reason) === 'bisect' ? new SinkError('unknown', error.message, { cause: error, sinkCode: error.sinkCode }) : error);
    }
  }

  /**
   * Waits before a held batch is tried again: a growing backoff while the breaker is still
   * closed (the streak has not reached its threshold); once it is open, `acquire()` waits for the probe.
   */
  async #holdOff(cause: HoldCause | undefined, round: number, signal?: AbortSignal): Promise<void> {
    if (cause) this.breaker.failure(cause);
    if (this.breaker.state !== 'closed') return;
    const attempt = Math.max(this.breaker.streak, round + 1) - 1;
    await pause(fullJitterDelayMs(attempt, this.#options.retryBaseMs, this.#options.retryMaxMs), signal);
  }
}

function codeOf(suspect: Suspect): string {
  return suspect.error.sinkCode ?? suspect.error.reason;
}

function partOf(suspects: readonly Suspect[]): Part {
  return { requests: suspects.map((s) => s.request), indexes: suspects.map((s) => s.index), calls: Math.max(0, ...suspects.map((s) => s.calls)) };
}

function holdCause(error: SinkError): HoldCause {
  return { reason: error.reason, code: error.sinkCode, message: error.message };
}

/** Sleeps, or rejects with the signal's own reason (not a generic AbortError) when it aborts. */
async function pause(ms: number, signal?: AbortSignal): Promise<void> {
  try {
    await sleep(ms, undefined, { signal });
  } catch (err) {
    throw signal?.aborted ? signal.reason : err;
  }
}
