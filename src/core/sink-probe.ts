import { SinkError } from '../errors/sink-error.js';
import { failureAction } from '../errors/failure-reason.js';
import type { BatchExecutor } from './batch-executor.js';
import { holdCause } from './batch-hold.js';
import type { HoldCause } from './circuit-breaker.js';
import { toSinkError } from './classify-node-error.js';
import type { Schema } from './schema.js';

/**
 * Asks the sink whether it is healthy; the failure that says it is not, or undefined. With
 * `write`, the probe must be a write (`probeWrite`): a read-only or locked sink still answers a
 * ping. An executor with neither vouched for its own classification: data errors count as
 * proven, and an unknown code (no probe to tell) holds as before.
 */
export async function probeSink(executor: BatchExecutor, schema: Schema, timeoutMs: number, signal?: AbortSignal, write = false): Promise<HoldCause | undefined> {
  const timed = signal ? AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs);
  const probe = write ? executor.probeWrite?.bind(executor, schema) ?? executor.ping?.bind(executor) : executor.ping?.bind(executor);
  if (!probe) return write ? { reason: 'unknown', code: undefined, message: `${executor.sink}: no probe to tell a sick sink from bad content` } : undefined;
  try {
    await probe(timed);
    return undefined;
  } catch (err) {
    if (signal?.aborted) throw signal.reason;
    const error = toSinkError(err);
    return holdCause(failureAction(error.reason) === 'bisect' ? new SinkError('unknown', error.message, { cause: error, sinkCode: error.sinkCode }) : error);
  }
}
