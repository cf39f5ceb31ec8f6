import { classifyNodeErrno } from '../../core/classify-node-error.js';
import type { FailureReason } from '../../errors/failure-reason.js';
import { SinkError } from '../../errors/sink-error.js';

/**
 * The reason for an error no dialect code table matched: a Node socket or TLS code first (also
 * on `cause`); then a plain `Error` without any code, which is how client libraries report a
 * lost or unusable connection (node-postgres' "Connection terminated", mysql2's "Pool is closed").
 * Anything else is `unknown`: the writer then asks the sink for a probe write. When it fails too,
 * the batch is held like a sick sink's; when it succeeds, a healthy sink refused this content
 * (say SQLSTATE 21000, MySQL errno 1153), and bisection isolates the rows at fault.
 */
export function fallbackReason(err: unknown): FailureReason {
  const node = classifyNodeErrno(err);
  if (node) return node;
  const code = (err as { code?: unknown } | null)?.code;
  if (err instanceof Error && err.constructor === Error && code === undefined) return 'connection';
  return 'unknown';
}

/**
 * Wraps a driver error in a {@link SinkError}. The message is the server's or client's own
 * message (which never holds the connection string); the original stays in `cause`.
 */
export function driverSinkError(sink: string, err: unknown, reason: FailureReason, sinkCode: string | undefined): SinkError {
  const message = err instanceof Error ? err.message : String(err);
  return new SinkError(reason, `${sink}: ${message}`, { cause: err, sinkCode });
}

/** The error's string `code`, if it has one. */
export function stringCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
