import { SinkError } from '../errors/sink-error.js';

/** What {@link abortedSinkError} says happened when no `detail` is given. */
const DEFAULT_ABORT_DETAIL = 'batch aborted, rolled back';

/**
 * The `context` {@link SinkError} every driver throws when its caller's signal aborted the batch.
 * The signal's reason becomes the `cause`.
 *
 * @param sink - sink name that prefixes the message, e.g. `postgres` or `redis`.
 * @param detail - what the abort did to the batch, e.g. `batch aborted before it was sent`.
 *
 * @example
 * ```ts
 * signal.addEventListener('abort', () => reject(abortedSinkError('postgres', signal)));
 * ```
 */
export function abortedSinkError(sink: string, signal?: AbortSignal, detail: string = DEFAULT_ABORT_DETAIL): SinkError {
  return new SinkError('context', `${sink}: ${detail}`, { cause: signal?.reason });
}

/** Throws {@link abortedSinkError} when `signal` has already aborted. */
export function throwIfAborted(sink: string, signal?: AbortSignal, detail?: string): void {
  if (signal?.aborted) throw abortedSinkError(sink, signal, detail);
}
