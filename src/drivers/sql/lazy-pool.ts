import { SinkError } from '../../errors/sink-error.js';

/**
 * The pool a SQL driver checks sessions out of: the one you passed in, or the driver's own,
 * created on first use (which is also when its client package is loaded) and ended on
 * {@link LazyPool.close}. A pool you passed in is never ended.
 *
 * @typeParam P - what sessions are checked out of (the driver's `PoolLike`)
 * @typeParam O - the driver's own pool type, which must serve as a `P`
 */
export class LazyPool<P, O extends P> {
  readonly #sink: string;
  readonly #create: () => Promise<O>;
  readonly #end: (pool: O) => Promise<void>;
  /** The pool batches use: yours, or the driver's own once it is created. */
  #pool: P | undefined;
  #owned: Promise<O> | undefined;
  #closed = false;

  /**
   * @param sink - the sink's name, for the error after close
   * @param given - your pool, if you passed one
   * @param create - creates the driver's own pool (loading its client package)
   * @param end - ends the driver's own pool
   */
  constructor(sink: string, given: P | undefined, create: () => Promise<O>, end: (pool: O) => Promise<void>) {
    this.#sink = sink;
    this.#pool = given;
    this.#create = create;
    this.#end = end;
  }

  /** The pool to check out from; creates the driver's own on first use. */
  async get(): Promise<P> {
    if (this.#pool) return this.#pool;
    if (this.#closed) throw new SinkError('connection', `${this.#sink}: driver is closed`);
    this.#owned ??= this.#create();
    // A failed creation (a missing package) is not cached: installing it and retrying works without a restart.
    const pool = await this.#owned.catch((err: unknown) => {
      this.#owned = undefined;
      throw err;
    });
    if (!this.#closed) this.#pool = pool;
    return pool;
  }

  /** Ends the driver's own pool, if it was created; a pool you passed in is left open. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const pool = await this.#owned?.catch(() => undefined);
    if (pool) await this.#end(pool);
  }
}
