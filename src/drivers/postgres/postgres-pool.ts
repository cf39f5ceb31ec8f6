import type pg from 'pg';
import { loadClient } from '../load-client.js';
import { LazyPool } from '../sql/lazy-pool.js';
import type { SqlSession } from '../sql/transaction.js';
import type { PostgresDriverOptions, PostgresPoolLike } from './postgres-driver-options.js';

const SINK = 'postgres';

/** What {@link PostgresPool} reads of the driver's resolved options. */
type PoolOptions = Pick<PostgresDriverOptions, 'pool' | 'connectionString'> & { readonly poolSize: number; readonly connectTimeoutMs: number };

/**
 * Where a {@link PostgresDriver}'s sessions come from: your pool, or the driver's own, opened (and
 * `pg` loaded) on first use and ended on `close()`. Each session is one checked-out client.
 */
export class PostgresPool {
  readonly #pool: LazyPool<PostgresPoolLike, pg.Pool>;

  constructor(options: PoolOptions) {
    this.#pool = new LazyPool(SINK, options.pool, () => ownPool(options), async (pool) => {
      if (!pool.ended) await pool.end();
    });
  }

  /** Checks out one client as a session; its `release` returns it to the pool (or destroys it). */
  async acquire(): Promise<SqlSession> {
    const client = await (await this.#pool.get()).connect();
    // A connection that dies between two statements emits 'error' on the client; the failing
    // query reports it, so the event only needs a listener to keep the process alive.
    const events = client as Partial<Pick<pg.PoolClient, 'on' | 'off'>>;
    const ignore = (): void => undefined;
    events.on?.('error', ignore);
    return {
      query: (text, params) => client.query(text, params as unknown[] | undefined),
      // Yours or ours: a client in pipeline mode (`pipeline: true`, in node-postgres releases that have it; 8.23 is tested) saves a batch a round trip.
      pipelined: (client as { pipeline?: unknown }).pipeline === true,
      release: (destroy) => {
        events.off?.('error', ignore);
        client.release(destroy);
      },
    };
  }

  /** Ends the driver's own pool; a pool you passed in is left open. */
  close(): Promise<void> {
    return this.#pool.close();
  }
}

/** The driver's own pool (loading `pg`), in pipeline mode, that survives an idle client's lost connection. */
async function ownPool(o: PoolOptions): Promise<pg.Pool> {
  const { default: pg } = await loadClient('pg', 'PostgresDriver', () => import('pg'));
  // Pipeline mode: a batch's BEGIN and INSERTs go out back to back, then COMMIT, so a database
  // across a network costs the batch two round trips, not three (see `runTransaction`).
  const pool = new pg.Pool({ connectionString: o.connectionString, max: o.poolSize, connectionTimeoutMillis: o.connectTimeoutMs, pipeline: true });
  // An idle client that loses its connection emits 'error' on the pool; unhandled, that
  // would crash the worker. The next checkout simply gets a fresh connection.
  pool.on('error', () => undefined);
  return pool;
}
