import { SinkError } from '../errors/sink-error.js';
import type { FailureReason } from './failure-reason.js';

/** Node.js socket/system error codes, by what they mean for a sink. */
const NODE_ERRNO: Readonly<Record<string, FailureReason>> = Object.freeze({
  ECONNREFUSED: 'connection',
  ECONNRESET: 'connection',
  ECONNABORTED: 'connection',
  EHOSTUNREACH: 'connection',
  ENETUNREACH: 'connection',
  ENOTFOUND: 'connection',
  EAI_AGAIN: 'connection',
  EPIPE: 'connection',
  ENOTCONN: 'connection',
  ETIMEDOUT: 'timeout',
  EIO: 'io',
  ENOSPC: 'io',
  EMFILE: 'io',
  ENFILE: 'io',
});

/** Classifies a Node.js system error by its `code`, or returns undefined when it is not one. */
export function classifyNodeErrno(err: unknown): FailureReason | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? NODE_ERRNO[code] : undefined;
}

/**
 * Normalises anything an executor threw into a {@link SinkError}: SinkErrors pass through,
 * aborts become `context`, Node system errors are classified by errno, the rest is `non_retryable`.
 */
export function toSinkError(err: unknown, signal?: AbortSignal): SinkError {
  if (err instanceof SinkError) return err;
  if (signal?.aborted || (err as { name?: unknown } | null)?.name === 'AbortError') {
    return new SinkError('context', 'batch aborted', { cause: err });
  }
  const reason = classifyNodeErrno(err) ?? 'non_retryable';
  const code = (err as { code?: unknown } | null)?.code;
  return new SinkError(reason, err instanceof Error ? err.message : String(err), {
    cause: err,
    sinkCode: typeof code === 'string' || typeof code === 'number' ? String(code) : undefined,
  });
}
