import type { SinkError } from '../../errors/sink-error.js';
import { abortedSinkError, throwIfAborted } from '../abort-guard.js';

/** One checked-out connection, as the shared transaction runner sees it. */
export interface SqlSession {
  /** Runs one statement; `params` are bound by the client library. */
  query(sql: string, params?: unknown): Promise<unknown>;
  /** Returns the connection to its pool, or discards it when `destroy` is true (its state is unknown). */
  release(destroy: boolean): void;
}

/** How {@link pingSession} reaches one dialect's server. */
export interface SessionSpec {
  /** Sink name for messages, e.g. `postgres`. */
  readonly sink: string;
  /** Checks out a connection; may throw a driver error (classified by `classify`). */
  readonly acquire: () => Promise<SqlSession>;
  /** Maps a driver error to a {@link SinkError} by its code. */
  readonly classify: (err: unknown) => SinkError;
  readonly signal?: AbortSignal | undefined;
}

/** How {@link runTransaction} talks to one dialect. */
export interface TransactionSpec extends SessionSpec {
  /** Statement(s) that open the transaction, e.g. `BEGIN`. */
  readonly begin: string;
}

/**
 * Takes a connection, runs `SELECT 1` and gives the connection back: the circuit breaker's
 * cheap probe. Failures are classified like any batch failure.
 */
export async function pingSession(spec: SessionSpec): Promise<void> {
  throwIfAborted(spec.sink, spec.signal, 'ping aborted before it was sent');
  let session: SqlSession | undefined;
  try {
    session = await spec.acquire();
    await session.query('SELECT 1');
    session.release(false);
  } catch (err) {
    session?.release(true);
    throw spec.classify(err);
  }
}

/**
 * Runs `body` inside one transaction on one connection: BEGIN, the body's statements, COMMIT.
 * Any failure rolls back, so a batch is written completely or not at all.
 *
 * The signal is checked before the connection is taken and between statements (`checkpoint`).
 * An abort while a statement is running (say, waiting for a lock) does not wait for it:
 * the connection is discarded, which makes the server roll the transaction back, and the call
 * rejects at once with reason `context`. Once COMMIT has been sent the abort is ignored, because
 * its outcome could no longer be reported truthfully.
 */
export async function runTransaction(
  spec: TransactionSpec,
  body: (query: SqlSession['query'], checkpoint: () => void) => Promise<void>,
): Promise<void> {
  const { sink, signal } = spec;
  throwIfAborted(sink, signal);
  let session: SqlSession;
  try {
    session = await spec.acquire();
  } catch (err) {
    throw spec.classify(err);
  }
  let released = false;
  const release = (destroy: boolean): void => {
    if (released) return;
    released = true;
    session.release(destroy);
  };
  let committing = false;
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => {
      if (committing) return;
      release(true);
      reject(abortedSinkError(sink, signal));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
  aborted.catch(() => undefined); // only observed through the race below
  const checkpoint = (): void => throwIfAborted(sink, signal);
  const work = (async () => {
    await session.query(spec.begin);
    await body((sql, params) => session.query(sql, params), checkpoint);
    checkpoint();
    committing = true;
    await session.query('COMMIT');
  })();
  work.catch(() => undefined); // after an abort nobody awaits it any more
  try {
    await Promise.race([work, aborted]);
    release(false);
  } catch (err) {
    if (signal?.aborted && !committing) {
      release(true);
      throw abortedSinkError(sink, signal);
    }
    if (!released) {
      // A failed ROLLBACK means the connection itself is broken: discard it.
      await session.query('ROLLBACK').then(
        () => release(false),
        () => release(true),
      );
    }
    throw spec.classify(err);
  } finally {
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  }
}
