import type { BatchExecutor } from '../../core/batch-executor.js';
import type { Request } from '../../core/request.js';
import type { Schema } from '../../core/schema.js';
import { readBatch } from '../sql/batch-rows.js';
import { requireSqlSchema } from '../sql/batch-guard.js';
import { rowsPerStatement } from '../sql/chunk.js';
import { checkInteger, resolvePooledOptions } from '../sql/driver-options.js';
import { pingSession, runTransaction, type TransactionSpec } from '../sql/transaction.js';
import { isExactlyOnce, ledgerBatch } from '../sql/ledger.js';
import { SessionLedger } from '../sql/session-ledger.js';
import { writeWithLedgerRecovery } from '../sql/ledger-recovery.js';
import { keepsTombstones, TombstoneKeeper } from '../sql/tombstone-keeper.js';
import { mySqlLedgerSpec } from './ledger.js';
import { classifyMySqlError } from './error-codes.js';
import { MySqlLookalikeKeyRanks } from './key-ranks.js';
import { ServerPacketLimit } from './packet-limit.js';
import { buildMySqlProbeWrite, MYSQL_MAX_PARAMETERS } from './statement-builder.js';
import { buildMySqlTombstoneDdl } from './tombstones.js';
import { UniqueIndexCache } from './unique-index-cache.js';
import { MySqlPool } from './mysql-pool.js';
import { mySqlBatchBody, type MySqlWriteState } from './batch-write.js';
import { MYSQL_DRIVER_DEFAULTS, type MySqlDriverOptions } from './mysql-driver-options.js';

const SINK = 'mysql';
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
  /** Your pool, or the driver's own (created, and `mysql2` loaded, on first use), with sessions in UTC. */
  readonly #pool: MySqlPool;
  /** How look-alike key spellings compare under each table's key collations. */
  readonly #keyRanks = new MySqlLookalikeKeyRanks();
  /** The tombstone tables this driver has made sure of, and when it last pruned each. */
  readonly #tombstones = new TombstoneKeeper();
  /** Unique indexes per table and when they were read. */
  readonly #uniqueIndexes: UniqueIndexCache;
  /** What each batch's write keeps across batches. */
  readonly #state: MySqlWriteState;
  /** The `delivery: 'exactly-once'` ledger: created on first use, pruned by the consumer. */
  readonly ledger = new SessionLedger({ ...mySqlLedgerSpec(), acquire: () => this.#pool.acquire(), classify: classifyMySqlError });

  /**
   * Validates the options (a `ConfigError` names the bad field); opens no connection yet. With
   * `connectionString`, `mysql2` is loaded on first use: importing or constructing the driver
   * loads no client, and a missing `mysql2` fails that first use with a `MissingClientError`.
   */
  constructor(options: MySqlDriverOptions) {
    const o = (this.#options = resolvePooledOptions(OWNER, MYSQL_DRIVER_DEFAULTS, options));
    checkInteger(OWNER, 'maxStatementBytes', o.maxStatementBytes, 1024);
    checkInteger(OWNER, 'indexCacheTtlMs', o.indexCacheTtlMs, 0);
    this.#pool = new MySqlPool(o);
    this.#uniqueIndexes = new UniqueIndexCache(o.indexCacheTtlMs);
    this.#state = {
      maxStatementBytes: o.maxStatementBytes,
      userPool: Boolean(o.pool),
      maxPacket: new ServerPacketLimit(),
      keyRanks: this.#keyRanks,
      uniqueIndexes: this.#uniqueIndexes,
      tombstones: this.#tombstones,
    };
  }

  /** Inserts all requests in one transaction, chunked under the placeholder and packet limits; all commit or none. */
  async execute(schema: Schema, requests: readonly Request[], signal?: AbortSignal): Promise<void> {
    const batch = readBatch(SINK, schema, requests, signal);
    if (!batch) return;
    const sql = batch.schema;
    const maxRows = rowsPerStatement(sql.columns.length, MYSQL_MAX_PARAMETERS, this.#options.maxRowsPerStatement);
    const spec = this.#spec(signal);
    const once = isExactlyOnce(sql) ? ledgerBatch(batch.rows, requests) : undefined;
    if (once) await this.ledger.ensure(sql);
    // IF NOT EXISTS: a concurrent creator is no error (CREATE … SELECT commits on its own, so it runs before the batch).
    if (keepsTombstones(sql)) await this.#tombstones.ensure(sql.tombstones.table, () => runTransaction(spec, async (query) => void (await query(buildMySqlTombstoneDdl(sql)))));
    const write = () => runTransaction(spec, mySqlBatchBody(this.#state, { schema: sql, rows: batch.rows, deletes: batch.deletes, once, maxRows }));
    try {
      // ER_NO_SUCH_TABLE: the ledger may have been dropped under the worker (or the data table: then it fails again).
      if (once) await writeWithLedgerRecovery(write, (err) => err.sinkCode === '1146', () => this.ledger.recreate(sql));
      else await write();
    } catch (err) {
      // The table may have changed (a new index, or it did not exist yet): read it again next time.
      this.#uniqueIndexes.forget(sql.table);
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
    await runTransaction(this.#spec(signal), async (query) => {
      await query(buildMySqlProbeWrite(sql));
    });
  }

  /** Runs `SELECT 1` on a pooled connection; rejects with a classified `SinkError` when the server does not answer. */
  async ping(signal?: AbortSignal): Promise<void> {
    this.#pool.checkZoneAgain();
    await pingSession({ sink: SINK, acquire: () => this.#pool.acquire(), classify: classifyMySqlError, signal });
  }

  /** Ends the driver's own pool; a pool you passed in is left open. */
  async close(): Promise<void> {
    await this.#pool.close();
  }

  /** How each transaction runs: a pooled session, the error table. */
  #spec(signal: AbortSignal | undefined): TransactionSpec {
    return { sink: SINK, begin: 'START TRANSACTION', acquire: () => this.#pool.acquire(), classify: classifyMySqlError, signal };
  }
}
