import { classifyNodeErrno } from '../../core/classify-node-error.js';
import { redactCommandCredentials } from '../../core/redact-credentials.js';
import type { FailureReason } from '../../errors/failure-reason.js';
import { SinkError } from '../../errors/sink-error.js';

/**
 * Redis error replies by prefix (the first word of the reply, Redis's error code), following the
 * rule "the dead-letter queue is for bad data, never for a sick sink".
 *
 * - Data errors, `non_retryable`: the command itself is at fault and would fail again, so it is
 *   dead-lettered once its neighbours commit. `ERR` (Redis's generic prefix: wrong arity, syntax,
 *   "value is not an integer", ...), `WRONGTYPE`, `EXECABORT` (classified by the rejections that
 *   caused it when the client passes them on), `NOSCRIPT`, `BUSYKEY`, `BUSYGROUP`, `NOGROUP`
 *   and `CROSSSLOT` (a command whose keys span cluster slots).
 * - The server is not writable right now, `io`, held with backoff until it is: `OOM` (maxmemory
 *   reached; clears when memory is freed or raised), `MISCONF` (snapshots failing, writes
 *   refused), `LOADING` (dataset loading after a restart), `TRYAGAIN` (cluster slot migrating),
 *   `CLUSTERDOWN`, `MASTERDOWN` and `NOREPLICAS`.
 * - `BUSY` (a script or function is running past its time limit): `timeout`, held.
 * - `READONLY` (we are talking to a replica, typically mid-failover), `NOAUTH`, `WRONGPASS` and
 *   `NOPERM` (an ACL refuses the command or key): nothing can be written through this connection
 *   until it reconnects or is reconfigured, so these are `connection`: the breaker pauses
 *   consumption and nothing is dead-lettered. A driver-owned client also reconnects on
 *   `READONLY` to find the new primary.
 * - Any prefix not listed here is `unknown`, which holds the batch: an error nobody has
 *   classified is no evidence that the data is bad.
 */
export const REDIS_ERROR_PREFIXES: Readonly<Record<string, FailureReason>> = Object.freeze({
  ERR: 'non_retryable',
  WRONGTYPE: 'non_retryable',
  EXECABORT: 'non_retryable',
  NOSCRIPT: 'non_retryable',
  BUSYKEY: 'non_retryable',
  BUSYGROUP: 'non_retryable',
  NOGROUP: 'non_retryable',
  CROSSSLOT: 'non_retryable',
  OOM: 'io',
  MISCONF: 'io',
  LOADING: 'io',
  TRYAGAIN: 'io',
  CLUSTERDOWN: 'io',
  MASTERDOWN: 'io',
  NOREPLICAS: 'io',
  BUSY: 'timeout',
  READONLY: 'connection',
  NOAUTH: 'connection',
  WRONGPASS: 'connection',
  NOPERM: 'connection',
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

/**
 * Rank of each reason, most severe (lowest) first: a sink-side failure outranks a data error, so a
 * batch that met a `LOADING` server is reported as held rather than as bad data. A `Record`, so a
 * new {@link FailureReason} cannot be left unranked.
 */
const SEVERITY: Readonly<Record<FailureReason, number>> = Object.freeze({
  connection: 0,
  auth: 1,
  read_only: 2,
  timeout: 3,
  io: 4,
  lock_timeout: 5,
  schema: 6,
  unknown: 7,
  deadlock: 8,
  context: 9,
  non_retryable: 10,
});

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

/**
 * Classifies a Redis error reply (by prefix, see {@link REDIS_ERROR_PREFIXES}), a Node system
 * error (by errno) or an ioredis client error. Anything else is `unknown`.
 */
export function classifyRedisError(err: unknown): RedisErrorClass {
  const errno = classifyNodeErrno(err);
  if (errno) return { reason: errno, code: String((err as { code: unknown }).code) };
  const prefix = redisErrorPrefix(err);
  if (prefix !== undefined) {
    // EXECABORT only says "a queued command was rejected"; the rejections themselves tell why.
    const previous = (err as { previousErrors?: unknown }).previousErrors;
    if (prefix === 'EXECABORT' && Array.isArray(previous) && previous.length > 0) {
      const worst = mostSevere(previous.map(classifyRedisError));
      if (worst) return worst;
    }
    return { reason: REDIS_ERROR_PREFIXES[prefix] ?? 'unknown', code: prefix };
  }
  if (err instanceof Error) {
    const byName = CLIENT_ERROR_NAMES[err.name];
    if (byName) return { reason: byName, code: err.name };
    const byMessage = IOREDIS_TRANSPORT_MESSAGES[err.message];
    if (byMessage) return { reason: byMessage, code: undefined };
  }
  // Not a reply, not a known transport error: nothing says the command is at fault.
  return { reason: 'unknown', code: undefined };
}

/** The most severe of several classifications (see {@link SEVERITY}), the first on a tie; undefined when empty. */
export function mostSevere<C extends { readonly reason: FailureReason }>(classes: readonly C[]): C | undefined {
  let worst: C | undefined;
  for (const c of classes) {
    if (worst === undefined || SEVERITY[c.reason] < SEVERITY[worst.reason]) worst = c;
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
