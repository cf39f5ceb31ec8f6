import { classifyNodeErrno } from '../../core/classify-node-error.js';
import { redactCommandCredentials } from '../../core/redact-credentials.js';
import type { FailureReason } from '../../core/failure-reason.js';
import { SinkError } from '../../errors/sink-error.js';

/**
 * Redis error replies by prefix (the first word of the reply, Redis's error code).
 * Anything not listed, including `ERR`, `WRONGTYPE`, `NOSCRIPT`, `NOPERM` and `EXECABORT`,
 * is `non_retryable`: the same commands would fail again, so the batch is bisected.
 *
 * - `LOADING` (dataset loading after restart), `TRYAGAIN` (cluster slot migrating),
 *   `CLUSTERDOWN`, `MASTERDOWN`, `NOREPLICAS`, `MISCONF` (snapshot failing, writes refused)
 *   and `OOM` (maxmemory, may clear by eviction or expiry) pass by themselves: `io`, retried with backoff.
 * - `BUSY` (a script or function is running past its time limit): `timeout`.
 * - `READONLY` (we are talking to a replica, typically mid-failover) and `NOAUTH` / `WRONGPASS`:
 *   nothing can be written through this connection until it reconnects or is reconfigured, so
 *   these are `connection`: the breaker pauses consumption and nothing is dead-lettered.
 *   A driver-owned client also reconnects on `READONLY` to find the new primary.
 */
export const REDIS_ERROR_PREFIXES: Readonly<Record<string, FailureReason>> = Object.freeze({
  LOADING: 'io',
  TRYAGAIN: 'io',
  CLUSTERDOWN: 'io',
  MASTERDOWN: 'io',
  NOREPLICAS: 'io',
  MISCONF: 'io',
  OOM: 'io',
  BUSY: 'timeout',
  READONLY: 'connection',
  NOAUTH: 'connection',
  WRONGPASS: 'connection',
});

/** Error names that client libraries give to a Redis error reply (ioredis, node-redis 4 and 5). */
const REPLY_ERROR_NAMES: ReadonlySet<string> = new Set(['ReplyError', 'ErrorReply', 'SimpleError', 'BlobError']);

/** ioredis client-side errors that are classes of their own, by class name. */
const CLIENT_ERROR_NAMES: Readonly<Record<string, FailureReason>> = Object.freeze({
  MaxRetriesPerRequestError: 'connection',
  ClusterAllFailedError: 'connection',
});

/**
 * The one exception to "never match on message text": ioredis rejects commands on a closed
 * connection, on a full command timeout and with the offline queue disabled with a plain
 * `Error` that has neither a code nor a class of its own. These are its exact constant
 * messages (ioredis 5), compared whole, never searched.
 */
const IOREDIS_TRANSPORT_MESSAGES: Readonly<Record<string, FailureReason>> = Object.freeze({
  'Connection is closed.': 'connection',
  "Stream isn't writeable and enableOfflineQueue options is false": 'connection',
  "Cluster isn't ready and enableOfflineQueue options is false": 'connection',
  'Command timed out': 'timeout',
});

/** Most severe first: a transient failure anywhere means the whole batch must be tried again. */
const SEVERITY: readonly FailureReason[] = ['connection', 'timeout', 'io', 'deadlock', 'lock_timeout', 'context', 'non_retryable'];

/** A classified Redis or transport error. */
export interface RedisErrorClass {
  readonly reason: FailureReason;
  /** The Redis prefix (`WRONGTYPE`), Node errno (`ECONNREFUSED`) or client error name, if any. */
  readonly code: string | undefined;
}

/** The Redis error prefix of an error reply (e.g. `WRONGTYPE`), or undefined when `err` is not one. */
export function redisErrorPrefix(err: unknown): string | undefined {
  if (!(err instanceof Error) || !REPLY_ERROR_NAMES.has(err.name)) return undefined;
  return /^[A-Z][A-Z0-9_-]*(?=\s|$)/.exec(err.message)?.[0];
}

/** Classifies a Redis error reply, a Node system error or an ioredis client error. */
export function classifyRedisError(err: unknown): RedisErrorClass {
  const errno = classifyNodeErrno(err);
  if (errno) return { reason: errno, code: String((err as { code: unknown }).code) };
  const prefix = redisErrorPrefix(err);
  if (prefix !== undefined) {
    // EXECABORT only says "a queued command was rejected"; the rejections themselves tell why.
    const previous = (err as { previousErrors?: unknown }).previousErrors;
    if (prefix === 'EXECABORT' && Array.isArray(previous) && previous.length > 0) {
      return mostSevere(previous.map(classifyRedisError));
    }
    return { reason: REDIS_ERROR_PREFIXES[prefix] ?? 'non_retryable', code: prefix };
  }
  if (err instanceof Error) {
    const byName = CLIENT_ERROR_NAMES[err.name];
    if (byName) return { reason: byName, code: err.name };
    const byMessage = IOREDIS_TRANSPORT_MESSAGES[err.message];
    if (byMessage) return { reason: byMessage, code: undefined };
  }
  return { reason: 'non_retryable', code: undefined };
}

/** The most severe of several classifications (see {@link SEVERITY}); `non_retryable` when empty. */
export function mostSevere(classes: readonly RedisErrorClass[]): RedisErrorClass {
  let worst: RedisErrorClass = { reason: 'non_retryable', code: undefined };
  let worstRank = SEVERITY.length;
  for (const c of classes) {
    const rank = SEVERITY.indexOf(c.reason);
    if (rank < worstRank) [worst, worstRank] = [c, rank];
  }
  return worst;
}

/** Wraps anything the client threw into a classified {@link SinkError} (SinkErrors pass through). */
export function toRedisSinkError(err: unknown, context: string): SinkError {
  if (err instanceof SinkError) return err;
  redactCommandCredentials(err); // a refused AUTH carries the password; it becomes our error's cause
  const { reason, code } = classifyRedisError(err);
  const detail = err instanceof Error ? err.message : String(err);
  return new SinkError(reason, `redis: ${context}: ${detail}`, { cause: err, sinkCode: code });
}
