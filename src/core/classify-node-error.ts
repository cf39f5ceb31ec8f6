import { SinkError } from '../errors/sink-error.js';
import type { FailureReason } from '../errors/failure-reason.js';

/**
 * Node.js system, TLS and undici error codes, by what they mean for a sink. None of them says a
 * request is bad, so each one holds the batch (see `failureAction`).
 */
export const NODE_ERROR_CODES: Readonly<Record<string, FailureReason>> = Object.freeze({
  ECONNREFUSED: 'connection',
  ECONNRESET: 'connection',
  ECONNABORTED: 'connection',
  EHOSTUNREACH: 'connection',
  EHOSTDOWN: 'connection',
  ENETUNREACH: 'connection',
  ENETDOWN: 'connection',
  ENOTFOUND: 'connection',
  EAI_AGAIN: 'connection',
  EPIPE: 'connection',
  ENOTCONN: 'connection',
  ENOENT: 'connection', // a Unix socket that is gone while its server restarts
  ETIMEDOUT: 'connection', // connect timeout: the server did not answer at all
  ESOCKETTIMEDOUT: 'connection',
  EIO: 'io',
  ENOSPC: 'io',
  EDQUOT: 'io',
  EMFILE: 'io',
  ENFILE: 'io',
  ENOMEM: 'io',
  EACCES: 'auth', // a socket or file we may not open: waits for an operator
  EPERM: 'auth',
  EROFS: 'read_only',
  // TLS: an expired, untrusted or mismatched certificate waits for an operator.
  CERT_HAS_EXPIRED: 'auth',
  CERT_NOT_YET_VALID: 'auth',
  CERT_REVOKED: 'auth',
  CERT_UNTRUSTED: 'auth',
  CERT_REJECTED: 'auth',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'auth',
  SELF_SIGNED_CERT_IN_CHAIN: 'auth',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'auth',
  UNABLE_TO_GET_ISSUER_CERT: 'auth',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'auth',
  ERR_TLS_CERT_ALTNAME_INVALID: 'auth',
  ERR_TLS_HANDSHAKE_TIMEOUT: 'connection',
  ERR_SSL_WRONG_VERSION_NUMBER: 'auth',
  ERR_SSL_TLSV1_ALERT_UNKNOWN_CA: 'auth',
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED: 'auth',
  ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE: 'auth',
  // undici (fetch): its codes sit on the TypeError's `cause`.
  UND_ERR_CONNECT_TIMEOUT: 'connection',
  UND_ERR_SOCKET: 'connection',
  UND_ERR_CLOSED: 'connection',
  UND_ERR_HEADERS_TIMEOUT: 'timeout',
  UND_ERR_BODY_TIMEOUT: 'timeout',
});

/** The most `cause` links followed: enough for fetch's TypeError → SocketError → errno, bounded against cycles. */
const MAX_CAUSE_DEPTH = 5;

/**
 * Classifies a Node.js system, TLS or undici error by its `code`, on the error itself or on any
 * error in its `cause` chain (fetch throws `TypeError('fetch failed')` with the errno on `cause`).
 * Returns undefined when none is one.
 */
export function classifyNodeErrno(err: unknown): FailureReason | undefined {
  return nodeErrorCode(err)?.reason;
}

/** The first Node error code in `err`'s cause chain, with its reason. */
export function nodeErrorCode(err: unknown): { code: string; reason: FailureReason } | undefined {
  let current: unknown = err;
  for (let depth = 0; depth <= MAX_CAUSE_DEPTH && current !== null && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && Object.hasOwn(NODE_ERROR_CODES, code)) return { code, reason: NODE_ERROR_CODES[code] as FailureReason };
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * Normalises anything an executor threw into a {@link SinkError}: SinkErrors pass through,
 * aborts become `context`, Node errors are classified by code (also on `cause`), and anything
 * else is `unknown`, which holds the batch: only an explicit data-error classification
 * (`SinkError('non_retryable')` or a driver's code table) can send a request to the DLQ.
 */
export function toSinkError(err: unknown, signal?: AbortSignal): SinkError {
  if (err instanceof SinkError) return err;
  if (signal?.aborted || (err as { name?: unknown } | null)?.name === 'AbortError') {
    return new SinkError('context', 'batch aborted', { cause: err });
  }
  const node = nodeErrorCode(err);
  const code = (err as { code?: unknown } | null)?.code;
  return new SinkError(node?.reason ?? 'unknown', err instanceof Error ? err.message : String(err), {
    cause: err,
    sinkCode: node?.code ?? (typeof code === 'string' || typeof code === 'number' ? String(code) : undefined),
  });
}
