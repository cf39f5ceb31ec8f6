import { setTimeout as sleep } from 'node:timers/promises';
import type { SinkError } from '../errors/sink-error.js';
import { fullJitterDelayMs } from './backoff.js';
import type { CircuitBreaker, HoldCause } from './circuit-breaker.js';

/** The retry delay ceilings a held batch backs off between (see `BatchWriterOptions`). */
export interface HoldBackoff {
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
}

/** What the breaker records of a failure that holds a batch. */
export function holdCause(error: SinkError): HoldCause {
  return { reason: error.reason, code: error.sinkCode, message: error.message };
}

/**
 * Waits before a held batch is tried again: a growing backoff while the breaker is still
 * closed (the streak has not reached its threshold); once it is open, `acquire()` waits for the probe.
 */
export async function holdOff(breaker: CircuitBreaker, backoff: HoldBackoff, cause: HoldCause | undefined, round: number, signal?: AbortSignal): Promise<void> {
  if (cause) breaker.failure(cause);
  if (breaker.state !== 'closed') return;
  const attempt = Math.max(breaker.streak, round + 1) - 1;
  await pause(fullJitterDelayMs(attempt, backoff.retryBaseMs, backoff.retryMaxMs), signal);
}

/** Sleeps, or rejects with the signal's own reason (not a generic AbortError) when it aborts. */
export async function pause(ms: number, signal?: AbortSignal): Promise<void> {
  try {
    await sleep(ms, undefined, { signal });
  } catch (err) {
    throw signal?.aborted ? signal.reason : err;
  }
}
