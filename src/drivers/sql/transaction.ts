import type { SinkError } from '../../errors/sink-error.js';
import { abortedSinkError, throwIfAborted } from '../abort-guard.js';

/** One checked-out connection, as the shared transaction runner sees it. */
export interface SqlSession {
  /** Runs one statement; `params` are bound by the client library. */
  query(sql: string, params?: unknown): Promise<unknown>;
  /** Returns the connection to its pool, or discards it when `destroy` is true (its state is unknown). */
  release(destroy: boolean): void;
  /**
   * True when the connection writes a statement without waiting for the replies to earlier ones,
   * and an error aborts the whole transaction so that nothing behind it can commit: a node-postgres
   * client in pipeline mode. {@link runTransaction} then sends BEGIN with the body's statements
   * ({@link TransactionBody} `send`) and waits once for them all.
   * (MySQL does not qualify: a failed statement leaves its transaction open, and a deadlock ends
   * it, so statements queued behind would run, and commit, on their own.)
   * @defaultValue false
   */
  readonly pipelined?: boolean;
}

/**
 * The statements of one transaction. `query` waits for its reply (and, on a pipelined session,
 * for everything sent before it); `send` is for a statement whose reply the body does not need:
 * on a pipelined session it only sends, and its outcome is awaited before COMMIT (or with the next
 * `query`), an error in it failing the transaction exactly as if it had been awaited; elsewhere it is `query`.
 */
export type TransactionBody = (query: SqlSession['query'], checkpoint: () => void, send: (sql: string, params?: unknown) => Promise<void>) => Promise<void>;

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
 * On a pipelined session (see {@link SqlSession.pipelined}) BEGIN goes out with the body's
 * statements, and COMMIT once they have all succeeded: across a network a batch waits for two
 * round trips instead of three. Replies are checked in the order the statements were sent, so the
 * error reported (and classified) is the first statement's that failed, as without pipelining;
 * behind a failed statement PostgreSQL refuses the rest, and ROLLBACK follows as before.
 *
 * The signal is checked before the connection is taken and between statements (`checkpoint`).
 * An abort while a statement is running (say, waiting for a lock) does not wait for it:
 * the connection is discarded, which makes the server roll the transaction back, and the call
 * rejects at once with reason `context`. Once COMMIT has been sent the abort is ignored, because
 * its outcome could no longer be reported truthfully.
 */
export async function runTransaction(
  spec: TransactionSpec,
  body: TransactionBody,
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
  // Statements sent on a pipelined session whose replies nobody has checked yet, in sending order.
  const unchecked: Promise<unknown>[] = [];
  const sent = (reply: Promise<unknown>): void => {
    reply.catch(() => undefined); // checked in order by `settle`; an abandoned one must not crash the process
    unchecked.push(reply);
  };
  // The first failure in sending order: the statement that failed, not one refused behind it.
  const settle = async (): Promise<void> => {
    for (const reply of unchecked.splice(0)) await reply;
  };
  const pipelined = session.pipelined === true;
  const query: SqlSession['query'] = async (sql, params) => {
    const reply = session.query(sql, params);
    if (unchecked.length > 0) {
      reply.catch(() => undefined); // checked below, after the statements sent before it
      await settle();
    }
    return reply;
  };
  const send = async (sql: string, params?: unknown): Promise<void> => {
    if (pipelined) sent(session.query(sql, params));
    else await session.query(sql, params);
  };
  const work = (async () => {
    await send(spec.begin);
    await body(query, checkpoint, send);
    // Every statement must have succeeded before COMMIT is sent, never behind them: a statement
    // may wait (a row lock), and an abort then discards the connection, which rolls back only
    // while no COMMIT is on its way. Pipelined, a batch thus waits for two round trips, not three.
    await settle();
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
