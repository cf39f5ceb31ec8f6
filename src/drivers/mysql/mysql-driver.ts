import type mysql from 'mysql2/promise';
import type { BatchExecutor } from '../../core/batch-executor.js';
import type { Request } from '../../core/request.js';
import type { Schema } from '../../core/schema.js';
import { readBatch } from '../sql/batch-rows.js';
import { requireSqlSchema } from '../sql/batch-guard.js';
import { chunkRangesByBytes, rowsPerStatement } from '../sql/chunk.js';
import { checkInteger, resolvePooledOptions } from '../sql/driver-options.js';
import { pingSession, runTransaction, type SqlSession } from '../sql/transaction.js';
import { isExactlyOnce, ledgerBatch } from '../sql/ledger.js';
import { SessionLedger } from '../sql/session-ledger.js';
import { writeWithLedgerRecovery } from '../sql/ledger-recovery.js';
import { claimMySqlRows, mySqlLedgerSpec } from './ledger.js';
import { SinkError } from '../../errors/sink-error.js';
import { loadClient } from '../load-client.js';
import { classifyMySqlError } from './error-codes.js';
import { survivingRowPerKey } from '../sql/row-key.js';
import { mergeOnKeys } from './key-merge.js';
import { inDatabaseKeyOrder } from '../sql/key-order.js';
import { MySqlLookalikeKeyRanks } from './key-ranks.js';
import { MYSQL_MAX_PACKET_SQL, refuseOversizedRows, statementBudget } from './packet-limit.js';
import { buildMySqlInsert, buildMySqlProbeWrite, MYSQL_MAX_PARAMETERS } from './statement-builder.js';
import { checkSessionTimeZone, MYSQL_SESSION_SETUP_SQL } from './session-time-zone.js';
import { datesAsText, mySqlUtcText } from '../sql/utc-time-text.js';
import { splitOperations } from '../sql/delete-rows.js';
import { deleteMySqlKeys, guardMySqlUpserts } from './delete-keys.js';
import { keepsTombstones, TombstoneKeeper } from '../sql/tombstone-keeper.js';
import { buildMySqlTombstoneDdl } from './tombstones.js';
import { field, hasOtherUniqueIndex, readUniqueIndexes, resultRows, type MySqlQuery, type UniqueIndexes } from './unique-indexes.js';

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

const SINK = 'mysql';

/** mysql2's callback-style connection, as its pool's `connection` event passes it. */
interface CoreConnection {
  query(sql: string, callback: (err: unknown) => void): void;
  destroy(): void;
}
const OWNER = 'MySqlDriverOptions';

/**
 * Writes batches of a {@link SQLSchema} to MySQL or MariaDB: one transaction per batch, multi-row
 * `INSERT … VALUES ?` through mysql2's `query()` (values escaped by mysql2, its fastest bulk path).
 * `bigint`, `Date` (with milliseconds: use `DATETIME(3)`/`TIMESTAMP(3)` columns) and
 * `Uint8Array` values are written losslessly. A `Date` is sent as UTC text: a `DATETIME` stores
 * its UTC wall time, a `TIMESTAMP` the instant (the session runs in UTC, see the `pool` option).
 *
 * Conflicts merge on the schema's keys only. MySQL's `ON DUPLICATE KEY UPDATE` and `REPLACE` fire
 * on *any* unique index: with `email` unique too, upserting `(2, 'a@x')` would overwrite row 1
 * (or, with `REPLACE`, delete it and its `ON DELETE CASCADE` children) and never insert row 2. So
 * the driver reads each table's unique indexes (`information_schema.STATISTICS`, on the first
 * batch and then every `indexCacheTtlMs`) and picks one of two paths:
 * - the table's only unique index is the one on exactly the keys: one fast statement per chunk,
 *   `ignore` → `ON DUPLICATE KEY UPDATE k = k` (not `INSERT IGNORE`, which would store bad rows
 *   with coerced values); `update` and `replace` → `ON DUPLICATE KEY UPDATE c = VALUES(c)` for every
 *   non-key column (`replace` overwrites in place, like PostgreSQL: no row is ever deleted, and
 *   columns the schema does not list keep their values);
 * - any other unique index: a key-only merge in the same transaction (locking lookup of the keys,
 *   `UPDATE … JOIN` for existing keys, plain `INSERT` for new ones; see `mergeOnKeys`). It is
 *   slower: one noisy run on a loaded 2-core machine (MariaDB, 20,000 rows of 5 columns) gave
 *   about 0.4–0.9× the rows per second of the single statement on a key-only table. A row that
 *   collides on the other index then fails with errno 1062, so it is dead-lettered alone and no
 *   other row changes.
 * - `insert`: a plain `INSERT`, whatever the indexes; any duplicate fails with errno 1062.
 *
 * `delivery: 'exactly-once'`: the transaction first reads which of the batch's delivery ids the
 * ledger holds, records the rest, and writes only their rows (see `claimMySqlRows`).
 *
 * @example
 * ```ts
 * const pool = mysql.createPool({ uri, supportBigNumbers: true, bigNumberStrings: true });
 * pool.on('connection', (connection) => connection.query("SET time_zone = '+00:00'")); // TIMESTAMP columns read UTC
 * const driver = new MySqlDriver({ pool });
 * await driver.execute(events, [Request.fromRow(events, { id: 1n, kind: 'click' })]);
 * ```
 */
export class MySqlDriver implements BatchExecutor {
  /** `mysql`, for metric labels and logs. */
  readonly sink = SINK;
  readonly #options: Readonly<MySqlDriverOptions & typeof MYSQL_DRIVER_DEFAULTS>;
  /** The pool batches use: yours, or the driver's own once it is opened. */
  #pool: MySqlPoolLike | undefined;
  /** The driver's own pool, created on first use (that is also when `mysql2` is loaded). */
  #ownedPool: Promise<mysql.Pool> | undefined;
  /** Unique indexes per table and when they were read. */
  /** How look-alike key spellings compare under each table's key collations. */
  readonly #keyRanks = new MySqlLookalikeKeyRanks();
  /** The tombstone tables this driver has made sure of, and when it last pruned each. */
  readonly #tombstones = new TombstoneKeeper();
  readonly #uniqueIndexes = new Map<string, { readonly readAtMs: number; readonly indexes: UniqueIndexes }>();
  #closed = false;
  /** The server's `max_allowed_packet`, read on the first batch. */
  #maxPacket: number | undefined;
  /** Whether a connection of the user's pool was seen to run in UTC (checked once, and on each ping). */
  #userZoneChecked = false;
  /** The `delivery: 'exactly-once'` ledger: created on first use, pruned by the consumer. */
  readonly ledger = new SessionLedger({ ...mySqlLedgerSpec(), acquire: () => this.#acquire(), classify: classifyMySqlError });

  /**
   * Validates the options (a `ConfigError` names the bad field); opens no connection yet. With
   * `connectionString`, `mysql2` is loaded on first use: importing or constructing the driver
   * loads no client, and a missing `mysql2` fails that first use with a `MissingClientError`.
   */
  constructor(options: MySqlDriverOptions) {
    const o = (this.#options = resolvePooledOptions(OWNER, MYSQL_DRIVER_DEFAULTS, options));
    checkInteger(OWNER, 'maxStatementBytes', o.maxStatementBytes, 1024);
    checkInteger(OWNER, 'indexCacheTtlMs', o.indexCacheTtlMs, 0);
    this.#pool = o.pool;
  }

  /** Inserts all requests in one transaction, chunked under the placeholder and packet limits; all commit or none. */
  async execute(schema: Schema, requests: readonly Request[], signal?: AbortSignal): Promise<void> {
    const batch = readBatch(SINK, schema, requests, signal);
    if (!batch) return;
    const sql = batch.schema;
    const maxRows = rowsPerStatement(sql.columns.length, MYSQL_MAX_PARAMETERS, this.#options.maxRowsPerStatement);
    const spec = { sink: SINK, begin: 'START TRANSACTION', acquire: () => this.#acquire(), classify: classifyMySqlError, signal };
    const once = isExactlyOnce(sql) ? ledgerBatch(batch.rows, requests) : undefined;
    if (once) await this.ledger.ensure(sql);
    // IF NOT EXISTS: a concurrent creator is no error (CREATE … SELECT commits on its own, so it runs before the batch).
    if (keepsTombstones(sql)) await this.#tombstones.ensure(sql.tombstones.table, () => runTransaction(spec, async (query) => void (await query(buildMySqlTombstoneDdl(sql)))));
    const write = () => runTransaction(spec, async (query, checkpoint) => {
      const maxPacket = (this.#maxPacket ??= await readMaxPacket(query));
      // A row no statement can carry is refused before anything is sent (bisection isolates it).
      refuseOversizedRows(SINK, batch.rows, maxPacket);
      const maxBytes = statementBudget(this.#options.maxStatementBytes, maxPacket);
      // Exactly-once: only the requests this transaction recorded first are written.
      // Key order: concurrent batches lock shared keys in one order, look-alike spellings in the
      // server's (rows it equates keep arrival order, so `ON DUPLICATE KEY UPDATE` lets the later win).
      const claimedRows = once ? await claimMySqlRows(query, sql, once, Date.now()) : batch.rows;
      // By the database's keys: spellings the key's collation equates ('a' and 'A' under *_ci) are one key here too.
      const operations = splitOperations(sql, claimedRows, batch.deletes, batch.deletes.size > 0 ? await this.#keyRanks.rank(query, sql, claimedRows) : undefined);
      // Deletes first (the upserts left are those after a key's last delete, or newer than it).
      const context = { query, checkpoint, schema: sql, maxRows, keeper: this.#tombstones };
      if (operations.deletes.length > 0) {
        const deletes = this.#options.pool ? datesAsText(sql, operations.deletes, mySqlUtcText) : operations.deletes;
        await deleteMySqlKeys(context, deletes, Date.now());
      }
      // One row per key: the one `ON DUPLICATE KEY UPDATE` would leave. Hot keys repeat within a
      // batch, and every row the server overwrites is time the batch holds locks other batches wait for.
      const claimed = survivingRowPerKey(sql, operations.upserts);
      const newest = inDatabaseKeyOrder(sql, claimed, await this.#keyRanks.rank(query, sql, claimed));
      // The driver's own pool formats a Date as this same UTC text (`timezone: 'Z'`); a user's
      // pool may be set to any zone, so its Dates are formatted here.
      const rows = this.#options.pool ? datesAsText(sql, newest, mySqlUtcText) : newest;
      if (rows.length === 0) return;
      // `insert` merges nothing, so other unique indexes do not matter: a collision fails as 1062.
      if (sql.conflict !== 'insert' && hasOtherUniqueIndex(await this.#indexes(sql.table, query), sql)) {
        await mergeOnKeys(query, checkpoint, sql, rows, { maxRows, maxBytes });
      } else {
        const text = buildMySqlInsert(sql);
        for (const { start, end } of chunkRangesByBytes(rows, maxRows, maxBytes)) {
          checkpoint();
          await query(text, [rows.slice(start, end)]);
        }
      }
      // An upsert older than its key's tombstone (a late redelivery of a write the delete overtook) is undone.
      await guardMySqlUpserts(context, rows);
    });
    try {
      // ER_NO_SUCH_TABLE: the ledger may have been dropped under the worker (or the data table: then it fails again).
      if (once) await writeWithLedgerRecovery(write, (err) => err.sinkCode === '1146', () => this.ledger.recreate(sql));
      else await write();
    } catch (err) {
      // The table may have changed (a new index, or it did not exist yet): read it again next time.
      this.#uniqueIndexes.delete(sql.table);
      this.#keyRanks.forget(sql.table);
      if (keepsTombstones(sql)) this.#tombstones.forget(sql.tombstones.table);
      throw err;
    }
  }

  /**
   * A zero-row `INSERT … SELECT … WHERE 1 = 0` into the schema's table in its own transaction: it
   * changes nothing, but fails like a batch would on a read-only server, a locked table or a lost connection.
   */
  async probeWrite(schema: Schema, signal?: AbortSignal): Promise<void> {
    const sql = requireSqlSchema(schema, SINK);
    const spec = { sink: SINK, begin: 'START TRANSACTION', acquire: () => this.#acquire(), classify: classifyMySqlError, signal };
    await runTransaction(spec, async (query) => {
      await query(buildMySqlProbeWrite(sql));
    });
  }

  /** Runs `SELECT 1` on a pooled connection; rejects with a classified `SinkError` when the server does not answer. */
  async ping(signal?: AbortSignal): Promise<void> {
    this.#userZoneChecked = false;
    await pingSession({ sink: SINK, acquire: () => this.#acquire(), classify: classifyMySqlError, signal });
  }

  /** Ends the driver's own pool; a pool you passed in is left open. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const pool = await this.#ownedPool?.catch(() => undefined);
    await pool?.end();
  }

  /** The pool to check out from: yours, or the driver's own, created (and `mysql2` loaded) on first use. */
  async #openPool(): Promise<MySqlPoolLike> {
    if (this.#pool) return this.#pool;
    if (this.#closed) throw new SinkError('connection', `${SINK}: driver is closed`);
    const o = this.#options;
    this.#ownedPool ??= loadClient('mysql2', 'MySqlDriver', () => import('mysql2/promise')).then(({ default: mysql }) => {
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
    });
    // A failed load is not cached: installing the package and retrying works without a restart.
    const pool = await this.#ownedPool.catch((err: unknown) => {
      this.#ownedPool = undefined;
      throw err;
    });
    if (!this.#closed) this.#pool = pool;
    return pool;
  }

  async #indexes(table: string, query: MySqlQuery): Promise<UniqueIndexes> {
    const cached = this.#uniqueIndexes.get(table);
    const now = Date.now();
    if (cached && now - cached.readAtMs < this.#options.indexCacheTtlMs) return cached.indexes;
    const indexes = await readUniqueIndexes(query, table);
    this.#uniqueIndexes.set(table, { readAtMs: now, indexes });
    return indexes;
  }

  async #acquire(): Promise<SqlSession> {
    const pool = await this.#openPool();
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
}

/** The session's `max_allowed_packet` in bytes (MariaDB's own default, 16 MiB, should the answer be unreadable). */
async function readMaxPacket(query: SqlSession['query']): Promise<number> {
  const value = Number(field(resultRows(await query(MYSQL_MAX_PACKET_SQL))[0] ?? {}, 'max_allowed_packet', 0));
  return Number.isSafeInteger(value) && value > 0 ? value : 16 * 1024 * 1024;
}
