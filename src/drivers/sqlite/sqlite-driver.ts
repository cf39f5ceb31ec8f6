import type Database from 'better-sqlite3';
import type { BatchExecutor } from '../../core/batch-executor.js';
import type { Value } from '../../core/column-type.js';
import type { Request } from '../../core/request.js';
import type { Schema, SQLSchema } from '../../core/schema.js';
import { ConfigError } from '../../errors/config-error.js';
import { SinkError } from '../../errors/sink-error.js';
import { throwIfAborted } from '../abort-guard.js';
import { readBatch } from '../sql/batch-rows.js';
import { preparedChunkRanges, rowsPerStatement } from '../sql/chunk.js';
import { splitOperations } from '../sql/delete-rows.js';
import { lookalikeRows } from '../sql/key-order.js';
import { SqliteDeletes } from './delete-keys.js';
import { checkInteger, checkOneSource, resolveOptions } from '../sql/driver-options.js';
import { loadClient } from '../load-client.js';
import { classifySqliteError } from './error-codes.js';
import { newestRowsIfVersioned } from '../sql/row-key.js';
import { buildSqliteInsert, SQLITE_MAX_PARAMETERS } from './statement-builder.js';
import { isExactlyOnce, ledgerBatch, type LedgerBatch } from '../sql/ledger.js';
import { writeWithLedgerRecovery } from '../sql/ledger-recovery.js';
import { claimSqliteRows, SqliteLedger } from './ledger.js';

/** The part of a prepared statement the driver uses; a better-sqlite3 `Statement` fits. */
export interface SqliteStatementLike {
  /** Runs the statement with positional parameters. */
  run(params: unknown[]): unknown;
  /** Reads every row (only `delivery: 'exactly-once'` reads: its ledger lookup). */
  all?(params: unknown[]): unknown[];
}

/** The part of a database connection the driver uses; a better-sqlite3 `Database` fits. */
export interface SqliteDatabaseLike {
  /** Compiles a statement (the driver caches what it prepares). */
  prepare(sql: string): SqliteStatementLike;
  /** Runs statements without parameters (BEGIN, COMMIT, ROLLBACK). */
  exec(sql: string): unknown;
  /** Whether a transaction is open, so a failed batch rolls back only what is still open. */
  readonly inTransaction: boolean;
}

/** How `Date` values are stored: ISO-8601 text (`2024-05-01T12:00:00.123Z`) or integer milliseconds since the epoch. */
export type SqliteTimestampFormat = 'iso' | 'epoch_ms';

/** Options of {@link SqliteDriver}. Give exactly one of `database` and `filename`. */
export interface SqliteDriverOptions {
  /**
   * Your own better-sqlite3 `Database`. The driver never closes it and leaves its pragmas alone.
   * @defaultValue none
   */
  database?: SqliteDatabaseLike;
  /**
   * A database file (or `:memory:`). The driver opens it on first use with `journal_mode = WAL`
   * and `synchronous = FULL` (a committed batch survives a power cut, as the queue has already
   * let go of it), and closes it on `close()`.
   * @defaultValue none
   */
  filename?: string;
  /**
   * How long a write waits for another connection's lock before failing with `SQLITE_BUSY`,
   * reason `lock_timeout` (only with `filename`). SQLite waits synchronously, so this also blocks
   * the event loop that long.
   * @defaultValue 5000
   */
  busyTimeoutMs?: number;
  /**
   * How `Date` values are stored (SQLite has no timestamp type). ISO text sorts correctly and
   * works with SQLite's date functions; `epoch_ms` is compact.
   * @defaultValue 'iso'
   */
  timestampFormat?: SqliteTimestampFormat;
  /**
   * Most rows per INSERT; also capped so a statement has at most 32,766 parameters.
   * @defaultValue 500
   */
  maxRowsPerStatement?: number;
}

/** Defaults of {@link SqliteDriverOptions}. */
export const SQLITE_DRIVER_DEFAULTS = Object.freeze({
  busyTimeoutMs: 5_000,
  timestampFormat: 'iso' as SqliteTimestampFormat,
  maxRowsPerStatement: 500,
} satisfies SqliteDriverOptions);

const SINK = 'sqlite';
const OWNER = 'SqliteDriverOptions';

/**
 * Writes batches of a {@link SQLSchema} to SQLite with better-sqlite3: one `BEGIN IMMEDIATE`
 * transaction per batch (the write lock is taken before any row is written), cached multi-row
 * prepared INSERTs. Values: booleans become 0/1, `Date` ISO text or epoch ms (see
 * `timestampFormat`), `Uint8Array` a BLOB, and `bigint` a 64-bit INTEGER (read it back with
 * `statement.safeIntegers()` to keep full precision).
 *
 * `delivery: 'exactly-once'`: inside the same `BEGIN IMMEDIATE` the driver reads which delivery ids
 * the ledger holds, records the rest and writes only their rows (see `claimSqliteRows`).
 *
 * better-sqlite3 is synchronous: the signal is checked before the batch starts, and the batch then
 * runs to its end without yielding, so no abort can arrive part-way through.
 *
 * @example
 * ```ts
 * const driver = new SqliteDriver({ filename: 'data/events.db' });
 * await driver.execute(events, [Request.fromRow(events, { id: 1n, kind: 'click' })]);
 * ```
 */
export class SqliteDriver implements BatchExecutor {
  /** `sqlite`, for metric labels and logs. */
  readonly sink = SINK;
  readonly #options: Readonly<SqliteDriverOptions & typeof SQLITE_DRIVER_DEFAULTS>;
  #db: SqliteDatabaseLike | undefined;
  #owned: Database.Database | undefined;
  #closed = false;
  /** Prepared INSERTs per schema and row count (a handful each, see `preparedChunkRanges`). */
  readonly #statements = new WeakMap<SQLSchema, Map<number, SqliteStatementLike>>();
  /** Deletes by key, and the tombstones of versioned schemas. */
  readonly #deletes = new SqliteDeletes();
  /** The `delivery: 'exactly-once'` ledger: created on first use, pruned by the consumer. */
  readonly ledger = new SqliteLedger(() => this.#database());

  /**
   * Validates the options (a {@link ConfigError} names the bad field); opens the file only on
   * first use, which is also when `better-sqlite3` is loaded (a missing package fails that first
   * use with a `MissingClientError` naming it).
   */
  constructor(options: SqliteDriverOptions) {
    checkOneSource(OWNER, [
      ['database', options.database, 'object'],
      ['filename', options.filename, 'string'],
    ]);
    this.#options = resolveOptions(SQLITE_DRIVER_DEFAULTS, options);
    checkInteger(OWNER, 'busyTimeoutMs', this.#options.busyTimeoutMs, 0);
    checkInteger(OWNER, 'maxRowsPerStatement', this.#options.maxRowsPerStatement, 1);
    if (this.#options.timestampFormat !== 'iso' && this.#options.timestampFormat !== 'epoch_ms') {
      throw new ConfigError(`${OWNER}.timestampFormat`, `must be 'iso' or 'epoch_ms'`);
    }
    this.#db = options.database;
  }

  /** Inserts all requests in one transaction; all commit or none. */
  async execute(schema: Schema, requests: readonly Request[], signal?: AbortSignal): Promise<void> {
    const batch = readBatch(SINK, schema, requests, signal);
    if (!batch) return;
    const sql = batch.schema;
    const rows = batch.rows;
    const once = isExactlyOnce(sql) ? ledgerBatch(rows, requests) : undefined;
    const db = await this.#database();
    throwIfAborted(SINK, signal); // opening may have yielded
    // better-sqlite3 binds every JS number as REAL; declared integer columns bind as INTEGER, so a
    // column without type affinity still stores 42 and not 42.0.
    const integer = sql.types?.map((type) => type.base === 'int32' || type.base === 'int64') ?? [];
    const size = rowsPerStatement(sql.columns.length, SQLITE_MAX_PARAMETERS, this.#options.maxRowsPerStatement);
    const write = async () => this.#write(db, sql, once, rows, batch.deletes, integer, size);
    if (!once) return write();
    // SQLITE_ERROR and no ledger in the catalog: it was dropped under the worker; create it again and write once more.
    await writeWithLedgerRecovery(write, (err) => err.sinkCode === 'SQLITE_ERROR' && !this.ledger.exists(db, sql), async () => this.ledger.forgetCreated(sql));
  }

  /** One attempt at the batch's transaction: BEGIN IMMEDIATE, the ledger claim (exactly-once), the inserts, COMMIT. */
  #write(
    db: SqliteDatabaseLike,
    sql: SQLSchema,
    once: LedgerBatch | undefined,
    batchRows: (readonly Value[])[],
    deletes: ReadonlySet<readonly Value[]>,
    integer: readonly boolean[],
    size: number,
  ): void {
    let rows = batchRows;
    try {
      if (once) this.ledger.ensure(db, sql);
      this.#deletes.ensure(db, sql);
      db.exec('BEGIN IMMEDIATE');
      // Exactly-once: only the requests this transaction recorded first are written.
      if (once) rows = claimSqliteRows(db, sql, once, Date.now());
      // Deletes first, one prepared statement run per key in key order (SQLite's fastest form:
      // no parsing, and one writer anyway); then the upserts they leave.
      const bind = (value: Value, index: number) => this.#bindable(value, integer[index] === true);
      const upsert = (chunk: readonly (readonly Value[])[]) => {
        const params: unknown[] = [];
        for (const row of chunk) row.forEach((value, c) => params.push(this.#bindable(value, integer[c] === true)));
        this.#statement(db, sql, chunk.length).run(params);
      };
      // Look-alike spellings ('a', 'A', 'a ') with a delete among them: only SQLite knows which are
      // one key (NOCASE, RTRIM), so those rows are applied one at a time in arrival order after the
      // others, which gives the database's own "last operation per key wins".
      const lookalikes = deletes.size > 0 ? new Set(lookalikeRows(sql, rows)) : new Set<readonly Value[]>();
      const inOrder = [...lookalikes].some((row) => deletes.has(row)) ? rows.filter((row) => lookalikes.has(row)) : [];
      if (inOrder.length > 0) rows = rows.filter((row) => !lookalikes.has(row));
      const operations = splitOperations(sql, rows, deletes);
      if (operations.deletes.length > 0) this.#deletes.deleteKeys(db, sql, operations.deletes, bind, Date.now());
      rows = newestRowsIfVersioned(sql, operations.upserts);
      for (const { start, end } of preparedChunkRanges(rows.length, size)) upsert(rows.slice(start, end));
      this.#deletes.guardUpserts(db, sql, rows, bind);
      for (const row of inOrder) {
        if (deletes.has(row)) this.#deletes.deleteKeys(db, sql, [row], bind, Date.now());
        else {
          upsert([row]);
          this.#deletes.guardUpserts(db, sql, [row], bind);
        }
      }
      db.exec('COMMIT');
    } catch (err) {
      // A tombstone table dropped under the worker is created again with the next attempt.
      this.#deletes.forget(sql);
      // SQLite rolls back by itself on some errors (SQLITE_FULL, SQLITE_IOERR, …); only roll back what is still open.
      try {
        if (db.inTransaction) db.exec('ROLLBACK');
      } catch {
        // The original error is the one to report; a failed rollback leaves nothing committed either.
      }
      throw classifySqliteError(err);
    }
  }

  /** Runs `SELECT 1`; rejects with a classified `SinkError` when the file cannot be opened or read. */
  async ping(signal?: AbortSignal): Promise<void> {
    throwIfAborted(SINK, signal);
    try {
      (await this.#database()).exec('SELECT 1');
    } catch (err) {
      throw classifySqliteError(err);
    }
  }

  /** Closes the database the driver opened; a `database` you passed in is left open. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#owned?.close();
    this.#owned = undefined;
  }

  /** The database: yours, or the file opened on first use (that is also when `better-sqlite3` is loaded). */
  async #database(): Promise<SqliteDatabaseLike> {
    if (this.#closed) throw new SinkError('connection', `${SINK}: driver is closed`);
    if (this.#db) return this.#db;
    const { default: Database } = await loadClient('better-sqlite3', 'SqliteDriver', () => import('better-sqlite3'));
    // Another call may have opened it while the module loaded.
    if (this.#db) return this.#db;
    if (this.#closed) throw new SinkError('connection', `${SINK}: driver is closed`);
    try {
      const db = new Database(this.#options.filename as string, { timeout: this.#options.busyTimeoutMs });
      try {
        db.pragma('journal_mode = WAL');
        db.pragma('synchronous = FULL');
      } catch (err) {
        db.close();
        throw err;
      }
      this.#owned = db;
      this.#db = db;
      return db;
    } catch (err) {
      const classified = classifySqliteError(err);
      // better-sqlite3 rejects a missing directory itself, with a code-less TypeError: whatever
      // stops the file from opening makes the sink unreachable, not the batch's data bad.
      if (classified.sinkCode !== undefined) throw classified;
      throw new SinkError('connection', `${SINK}: cannot open the database file: ${classified.message}`, { cause: err });
    }
  }

  #statement(db: SqliteDatabaseLike, schema: SQLSchema, rowCount: number): SqliteStatementLike {
    let bySize = this.#statements.get(schema);
    if (!bySize) this.#statements.set(schema, (bySize = new Map()));
    let statement = bySize.get(rowCount);
    if (!statement) bySize.set(rowCount, (statement = db.prepare(buildSqliteInsert(schema, rowCount))));
    return statement;
  }

  #bindable(value: Value, integer: boolean): unknown {
    if (typeof value === 'number') return integer ? BigInt(value) : value;
    if (typeof value === 'boolean') return value ? 1 : 0;
    if (value instanceof Date) return this.#options.timestampFormat === 'iso' ? value.toISOString() : BigInt(value.getTime());
    if (value instanceof Uint8Array && !Buffer.isBuffer(value)) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    return value;
  }
}
