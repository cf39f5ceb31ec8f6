/** The part of a pooled connection the driver uses; a `mysql2/promise` `PoolConnection` fits. */
export interface MySqlConnectionLike {
  /** Runs one statement; `values` are escaped into it by the client library. */
  query(sql: string, values?: unknown): Promise<unknown>;
  /** Returns the connection to its pool. */
  release(): void;
  /** Closes the connection and drops it from its pool (used when its state is unknown). */
  destroy(): void;
}

/** The part of a pool the driver uses; a `mysql2/promise` `Pool` fits. */
export interface MySqlPoolLike {
  /** Checks out a connection; the driver releases it after the batch. */
  getConnection(): Promise<MySqlConnectionLike>;
}

/** Options of {@link MySqlDriver}. Give exactly one of `pool` and `connectionString`. */
export interface MySqlDriverOptions {
  /**
   * Your own `mysql2/promise` pool (or anything with `getConnection()`). The driver takes one
   * connection per batch and never ends the pool. `Date` values are sent as UTC text whatever
   * the pool's `timezone`, but the *session* zone decides how a `TIMESTAMP` column reads them:
   * run `SET time_zone = '+00:00'` on each new connection
   * (`pool.on('connection', (c) => c.query("SET time_zone = '+00:00'"))`). The driver checks
   * the first connection it takes (and each `ping()`'s) and holds batches with reason `schema`
   * while the session is not UTC. Keep `STRICT_TRANS_TABLES` in its `sql_mode` too, or values too
   * long are stored truncated instead of failing as bad data.
   * @defaultValue none
   */
  pool?: MySqlPoolLike;
  /**
   * A `mysql://user:password@host:port/db` URL. The driver then opens, owns and (on `close()`)
   * ends its own pool, whose connections run in UTC (`SET time_zone = '+00:00'`) with
   * `STRICT_TRANS_TABLES` added to `sql_mode`, so `TIMESTAMP` columns store every instant exactly
   * whatever the server's `--default-time-zone`. It never appears in error messages.
   * @defaultValue none
   */
  connectionString?: string;
  /**
   * Most connections in the driver's own pool (ignored with `pool`).
   * @defaultValue 10
   */
  poolSize?: number;
  /**
   * Connect timeout of the driver's own pool (ignored with `pool`).
   * @defaultValue 10000
   */
  connectTimeoutMs?: number;
  /**
   * Most rows per INSERT; larger batches run several statements inside the same transaction.
   * Also capped so a statement never has more than 65,535 values.
   * @defaultValue 5000
   */
  maxRowsPerStatement?: number;
  /**
   * Budget for one statement's text, estimated from the values: a statement must fit the
   * server's `max_allowed_packet` (16 MiB by default on MariaDB, 4 MiB on old MySQL). The driver
   * reads `@@max_allowed_packet` on its first batch and never goes over it less 16 KiB, whatever
   * this says; a row that cannot fit any statement is refused (errno 1153, `non_retryable`).
   * @defaultValue 4194304 (4 MiB)
   */
  maxStatementBytes?: number;
  /**
   * How long the driver trusts the unique indexes it read for a table before reading them again
   * (they decide whether a batch can use the fast single-statement upsert, see {@link MySqlDriver}).
   * A unique index added while workers run is honoured after at most this long; a failed batch
   * re-reads them at once. `0` reads them for every batch.
   * @defaultValue 60000
   */
  indexCacheTtlMs?: number;
}

/** Defaults of {@link MySqlDriverOptions}. */
export const MYSQL_DRIVER_DEFAULTS = Object.freeze({
  poolSize: 10,
  connectTimeoutMs: 10_000,
  maxRowsPerStatement: 5_000,
  maxStatementBytes: 4 * 1024 * 1024,
  indexCacheTtlMs: 60_000,
} satisfies MySqlDriverOptions);
