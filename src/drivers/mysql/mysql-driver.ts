import mysql from 'mysql2/promise';
import type { BatchExecutor } from '../../core/batch-executor.js';
import type { Request } from '../../core/request.js';
import type { Schema } from '../../core/schema.js';
import { readBatch } from '../sql/batch-rows.js';
import { chunkRangesByBytes, rowsPerStatement } from '../sql/chunk.js';
import { checkInteger, resolvePooledOptions } from '../sql/driver-options.js';
import { pingSession, runTransaction, type SqlSession } from '../sql/transaction.js';
import { classifyMySqlError } from './error-codes.js';
import { buildMySqlInsert, MYSQL_MAX_PARAMETERS } from './statement-builder.js';

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
   * connection per batch and never ends the pool. Its settings apply, e.g. `timezone` decides
   * how `Date` values are written.
   * @defaultValue none
   */
  pool?: MySqlPoolLike;
  /**
   * A `mysql://user:password@host:port/db` URL. The driver then opens, owns and (on `close()`)
   * ends its own pool, which writes `Date` values as UTC (`timezone: 'Z'`). It never appears in
   * error messages.
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
   * server's `max_allowed_packet` (16 MiB by default on MariaDB, 4 MiB on old MySQL).
   * @defaultValue 4194304 (4 MiB)
   */
  maxStatementBytes?: number;
}

/** Defaults of {@link MySqlDriverOptions}. */
export const MYSQL_DRIVER_DEFAULTS = Object.freeze({
  poolSize: 10,
  connectTimeoutMs: 10_000,
  maxRowsPerStatement: 5_000,
  maxStatementBytes: 4 * 1024 * 1024,
} satisfies MySqlDriverOptions);

const SINK = 'mysql';
const OWNER = 'MySqlDriverOptions';

/**
 * Writes batches of a {@link SQLSchema} to MySQL or MariaDB: one transaction per batch, multi-row
 * `INSERT … VALUES ?` through mysql2's `query()` (values escaped by mysql2, its fastest bulk path).
 * `bigint`, `Date` (with milliseconds: use `DATETIME(3)`/`TIMESTAMP(3)` columns) and
 * `Uint8Array` values are written losslessly.
 *
 * Conflicts: `ignore` → `ON DUPLICATE KEY UPDATE k = k` (not `INSERT IGNORE`, which would store
 * bad rows with coerced values); `replace` → `REPLACE INTO`; `update` →
 * `ON DUPLICATE KEY UPDATE c = VALUES(c)` for every non-key column.
 *
 * @example
 * ```ts
 * const driver = new MySqlDriver({ pool: mysql.createPool({ uri, timezone: 'Z' }) });
 * await driver.execute(events, [Request.fromRow(events, { id: 1n, kind: 'click' })]);
 * ```
 */
export class MySqlDriver implements BatchExecutor {
  /** `mysql`, for metric labels and logs. */
  readonly sink = SINK;
  readonly #options: Readonly<MySqlDriverOptions & typeof MYSQL_DRIVER_DEFAULTS>;
  readonly #pool: MySqlPoolLike;
  readonly #ownedPool: mysql.Pool | undefined;
  #closed = false;

  /** Validates the options (a `ConfigError` names the bad field); opens no connection yet. */
  constructor(options: MySqlDriverOptions) {
    const o = (this.#options = resolvePooledOptions(OWNER, MYSQL_DRIVER_DEFAULTS, options));
    checkInteger(OWNER, 'maxStatementBytes', o.maxStatementBytes, 1024);
    if (o.pool) {
      this.#pool = o.pool;
    } else {
      this.#ownedPool = mysql.createPool({
        uri: o.connectionString,
        connectionLimit: o.poolSize,
        connectTimeout: o.connectTimeoutMs,
        // A queue decouples producers from workers, possibly in other time zones: store UTC.
        timezone: 'Z',
        supportBigNumbers: true,
        bigNumberStrings: true,
      });
      this.#pool = this.#ownedPool;
    }
  }

  /** Inserts all requests in one transaction, chunked under the placeholder and packet limits; all commit or none. */
  async execute(schema: Schema, requests: readonly Request[], signal?: AbortSignal): Promise<void> {
    const batch = readBatch(SINK, schema, requests, signal);
    if (!batch) return;
    const { schema: sql, rows } = batch;
    const maxRows = rowsPerStatement(sql.columns.length, MYSQL_MAX_PARAMETERS, this.#options.maxRowsPerStatement);
    const text = buildMySqlInsert(sql);
    const spec = { sink: SINK, begin: 'START TRANSACTION', acquire: () => this.#acquire(), classify: classifyMySqlError, signal };
    await runTransaction(spec, async (query, checkpoint) => {
      for (const { start, end } of chunkRangesByBytes(rows, maxRows, this.#options.maxStatementBytes)) {
        checkpoint();
        await query(text, [rows.slice(start, end)]);
      }
    });
  }

  /** Runs `SELECT 1` on a pooled connection; rejects with a classified `SinkError` when the server does not answer. */
  async ping(signal?: AbortSignal): Promise<void> {
    await pingSession({ sink: SINK, acquire: () => this.#acquire(), classify: classifyMySqlError, signal });
  }

  /** Ends the driver's own pool; a pool you passed in is left open. */
  async close(): Promise<void> {
    if (!this.#ownedPool || this.#closed) return;
    this.#closed = true;
    await this.#ownedPool.end();
  }

  async #acquire(): Promise<SqlSession> {
    const connection = await this.#pool.getConnection();
    return {
      query: (sql, params) => connection.query(sql, params),
      release: (destroy) => (destroy ? connection.destroy() : connection.release()),
    };
  }
}
