import type mysql from 'mysql2/promise';
import { SinkError } from '../../errors/sink-error.js';
import { loadClient } from '../load-client.js';
import { LazyPool } from '../sql/lazy-pool.js';
import type { SqlSession } from '../sql/transaction.js';
import type { MySqlDriverOptions, MySqlPoolLike } from './mysql-driver-options.js';
import { checkSessionTimeZone, MYSQL_SESSION_SETUP_SQL } from './session-time-zone.js';

const SINK = 'mysql';

/** mysql2's callback-style connection, as its pool's `connection` event passes it. */
interface CoreConnection {
  query(sql: string, callback: (err: unknown) => void): void;
  destroy(): void;
}

/** What {@link MySqlPool} reads of the driver's resolved options. */
type PoolOptions = Pick<MySqlDriverOptions, 'pool' | 'connectionString'> & { readonly poolSize: number; readonly connectTimeoutMs: number };

/**
 * Where a {@link MySqlDriver}'s sessions come from, set up so that `TIMESTAMP` columns read UTC:
 * the driver's own pool (created, and `mysql2` loaded, on first use) runs the session setup on each
 * new connection; your pool is checked to run in UTC on its first connection (again after each ping).
 */
export class MySqlPool {
  readonly #options: PoolOptions;
  readonly #pool: LazyPool<MySqlPoolLike, mysql.Pool>;
  /** Whether a connection of the user's pool was seen to run in UTC (checked once, and on each ping). */
  #userZoneChecked = false;

  constructor(options: PoolOptions) {
    this.#options = options;
    this.#pool = new LazyPool(SINK, options.pool, () => ownPool(options), (pool) => pool.end());
  }

  /** Checks out one connection as a session (on your pool, once its zone is known to be UTC). */
  async acquire(): Promise<SqlSession> {
    const pool = await this.#pool.get();
    const connection = await pool.getConnection();
    if (this.#options.pool && !this.#userZoneChecked) {
      try {
        await checkSessionTimeZone((sql, params) => connection.query(sql, params), SINK);
      } catch (err) {
        // Our own verdict leaves a sound connection; any other failure leaves one of unknown state.
        if (err instanceof SinkError) connection.release();
        else connection.destroy();
        throw err;
      }
      this.#userZoneChecked = true;
    }
    return {
      query: (sql, params) => connection.query(sql, params),
      release: (destroy) => (destroy ? connection.destroy() : connection.release()),
    };
  }

  /** Checks your pool's session zone again on the next checkout (a ping may follow a fix of the pool). */
  checkZoneAgain(): void {
    this.#userZoneChecked = false;
  }

  /** Ends the driver's own pool; a pool you passed in is left open. */
  close(): Promise<void> {
    return this.#pool.close();
  }
}

/** The driver's own pool (loading `mysql2`), whose every new connection runs the session setup first. */
async function ownPool(o: PoolOptions): Promise<mysql.Pool> {
  const { default: mysql } = await loadClient('mysql2', 'MySqlDriver', () => import('mysql2/promise'));
  const pool = mysql.createPool({
    uri: o.connectionString,
    connectionLimit: o.poolSize,
    connectTimeout: o.connectTimeoutMs,
    // A queue decouples producers from workers, possibly in other time zones: store UTC.
    timezone: 'Z',
    supportBigNumbers: true,
    bigNumberStrings: true,
  });
  // Queued on the new connection before anything the driver sends on it. A connection that
  // cannot be set up is discarded, so the batch fails with reason `connection` and is retried.
  // The event passes mysql2's callback-style core connection, whatever its typings say.
  pool.on('connection', (promised) => {
    const connection = promised as unknown as CoreConnection;
    connection.query(MYSQL_SESSION_SETUP_SQL, (err) => {
      if (err) connection.destroy();
    });
  });
  return pool;
}
