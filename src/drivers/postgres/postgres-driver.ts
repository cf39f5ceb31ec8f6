import type { BatchExecutor } from '../../core/batch-executor.js';
import type { Request } from '../../core/request.js';
import type { Schema, SQLSchema } from '../../core/schema.js';
import type { Value } from '../../core/column-type.js';
import { SinkError } from '../../errors/sink-error.js';
import { readBatch } from '../sql/batch-rows.js';
import { requireSqlSchema } from '../sql/batch-guard.js';
import { checkInteger, resolvePooledOptions } from '../sql/driver-options.js';
import { pingSession, runTransaction, type TransactionSpec } from '../sql/transaction.js';
import { isExactlyOnce, ledgerBatch, type LedgerBatch } from '../sql/ledger.js';
import { SessionLedger } from '../sql/session-ledger.js';
import { writeWithLedgerRecovery } from '../sql/ledger-recovery.js';
import { keepsTombstones, TombstoneKeeper } from '../sql/tombstone-keeper.js';
import { postgresLedgerSpec } from './ledger.js';
import { classifyPostgresError } from './error-codes.js';
import { buildPostgresBegin, buildPostgresInsert } from './statement-builder.js';
import { createPostgresTombstones } from './tombstones.js';
import { LookalikeKeyRanks } from './key-ranks.js';
import { CatalogElementTypes } from './catalog-element-types.js';
import { PostgresPool } from './postgres-pool.js';
import { postgresBatchBody, type PostgresWriteState } from './batch-write.js';
import { POSTGRES_DRIVER_DEFAULTS, type PostgresDriverOptions } from './postgres-driver-options.js';

const SINK = 'postgres';
/** SQLSTATE cardinality_violation: `ON CONFLICT DO UPDATE command cannot affect row a second time`. */
const CARDINALITY_VIOLATION = '21000';

const OWNER = 'PostgresDriverOptions';

/**
 * Writes batches of a {@link SQLSchema} to PostgreSQL: one transaction per batch, rows bound
 * as one array per column and inserted with `INSERT … SELECT * FROM unnest(…)`.
 *
 * Each array is cast to its column's own type, read from the catalog once per table and cached
 * (without modifiers: the assignment, not the cast, checks `varchar(n)` and `numeric(p,s)`, so an
 * overflow fails as bad data instead of being cut short). So a declared `string` column writes
 * into `uuid`, `jsonb`, `numeric`, `citext` or an enum, and a declared `timestamp` into both
 * `timestamptz` and `timestamp`: a `Date` is sent as UTC text (`…Z`), which `timestamptz` reads as
 * the instant and `timestamp` as its UTC wall time, whatever the session's `TimeZone` and the
 * process's zone.
 *
 * Conflicts: `ignore` is `ON CONFLICT (keys) DO NOTHING`; `update` and `replace` are both
 * `ON CONFLICT (keys) DO UPDATE SET c = EXCLUDED.c` (PostgreSQL has no REPLACE), and when a key
 * occurs twice in one batch the later row wins. `insert` has no conflict clause (any conflict fails, 23505).
 *
 * Key order: every statement writes its rows in one total order of the key (see
 * `inDatabaseKeyOrder`), so concurrent batches that share keys wait for each other instead of
 * deadlocking. Spellings the database may equate (padded `char(n)`, `citext`, nondeterministic
 * collations, `'01'` and `1`) are rare; when a batch has some, one query asks the database which
 * are one key and how it orders them (see `rankKeysInDatabase`): rows it equates collapse to the
 * later one, as identical keys do, and the rest keep one order on every worker.
 *
 * `delivery: 'exactly-once'`: the transaction first records the batch's delivery ids in the
 * ledger (`INSERT … ON CONFLICT DO NOTHING RETURNING`, see `claimPostgresRows`) and writes only the
 * rows whose id came back.
 *
 * @example
 * ```ts
 * const driver = new PostgresDriver({ pool: new pg.Pool({ connectionString }) });
 * await driver.execute(events, [Request.fromRow(events, { id: 1n, kind: 'click' })]);
 * ```
 */
export class PostgresDriver implements BatchExecutor {
  /** `postgres`, for metric labels and logs. */
  readonly sink = SINK;
  readonly #options: Readonly<PostgresDriverOptions & typeof POSTGRES_DRIVER_DEFAULTS>;
  /** Your pool, or the driver's own (opened, and `pg` loaded, on first use). */
  readonly #pool: PostgresPool;
  /** Catalog column types per table, read once (the array casts, see {@link PostgresDriver}). */
  readonly #catalogTypes = new CatalogElementTypes();
  /** The database's order of look-alike key spellings (see {@link LookalikeKeyRanks}). */
  readonly #keyRanks = new LookalikeKeyRanks();
  /** The tombstone tables this driver has made sure of, and when it last pruned each. */
  readonly #tombstones = new TombstoneKeeper();
  /** What each batch's write keeps across batches. */
  readonly #state: PostgresWriteState;
  /** The `delivery: 'exactly-once'` ledger: created on first use, pruned by the consumer. */
  readonly ledger = new SessionLedger({ ...postgresLedgerSpec(), acquire: () => this.#pool.acquire(), classify: classifyPostgresError });

  /**
   * Validates the options (a `ConfigError` names the bad field); opens no connection yet. With
   * `connectionString`, `pg` is loaded on first use: importing or constructing the driver loads
   * no client, and a missing `pg` fails that first use with a `MissingClientError` naming it.
   */
  constructor(options: PostgresDriverOptions) {
    const o = (this.#options = resolvePooledOptions(OWNER, POSTGRES_DRIVER_DEFAULTS, options));
    checkInteger(OWNER, 'statementTimeoutMs', o.statementTimeoutMs, 0, true);
    checkInteger(OWNER, 'lockTimeoutMs', o.lockTimeoutMs, 0, true);
    this.#pool = new PostgresPool(o);
    this.#state = { maxRowsPerStatement: o.maxRowsPerStatement, keyRanks: this.#keyRanks, elementTypes: this.#catalogTypes, tombstones: this.#tombstones };
  }

  /**
   * Inserts all requests in one transaction, in key order and chunked by `maxRowsPerStatement`;
   * all commit or none. Should a statement still touch one row twice (SQLSTATE 21000: two keys
   * the database equates where the loose key does not, see `looseKey`), the transaction runs
   * once more with one row per statement, in arrival order, so the later row wins.
   */
  async execute(schema: Schema, requests: readonly Request[], signal?: AbortSignal): Promise<void> {
    const batch = readBatch(SINK, schema, requests, signal);
    if (!batch) return;
    const sql = batch.schema;
    const once = isExactlyOnce(sql) ? ledgerBatch(batch.rows, requests) : undefined;
    if (once) await this.ledger.ensure(sql);
    if (keepsTombstones(sql)) {
      const spec = this.#spec(signal);
      await this.#tombstones.ensure(sql.tombstones.table, () => createPostgresTombstones(spec, sql));
    }
    const write = () => this.#transaction(sql, batch.rows, batch.deletes, once, false, signal);
    try {
      // undefined_table: the ledger may have been dropped under the worker (or the data table: then it fails again).
      if (once) await writeWithLedgerRecovery(write, (err) => err.sinkCode === '42P01', () => this.ledger.recreate(sql));
      else await write();
    } catch (err) {
      // The table may have changed under a cached type list; read it again next time.
      this.#catalogTypes.forget(sql.table);
      this.#keyRanks.forget(sql.table);
      if (keepsTombstones(sql)) this.#tombstones.forget(sql.tombstones.table);
      if (!(err instanceof SinkError) || err.sinkCode !== CARDINALITY_VIOLATION) throw err;
      await this.#transaction(sql, batch.rows, batch.deletes, once, true, signal);
    }
  }

  /** One attempt at the batch's transaction; `rowByRow` writes each row in its own statement. */
  async #transaction(
    sql: SQLSchema,
    rows: readonly (readonly Value[])[],
    deletes: ReadonlySet<readonly Value[]>,
    once: LedgerBatch | undefined,
    rowByRow: boolean,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    await runTransaction(this.#spec(signal), postgresBatchBody(this.#state, { schema: sql, rows, deletes, once, rowByRow }));
  }

  /**
   * A zero-row `INSERT` into the schema's table in its own transaction: it changes nothing, but
   * fails like a batch would on a read-only server, a locked table or a lost connection.
   */
  async probeWrite(schema: Schema, signal?: AbortSignal): Promise<void> {
    const sql = requireSqlSchema(schema, SINK);
    await runTransaction(this.#spec(signal), async (query) => {
      await query(buildPostgresInsert(sql, await this.#catalogTypes.of(sql, query)), sql.columns.map(() => []));
    });
  }

  /** Runs `SELECT 1` on a pooled connection; rejects with a classified `SinkError` when the server does not answer. */
  async ping(signal?: AbortSignal): Promise<void> {
    await pingSession({ sink: SINK, acquire: () => this.#pool.acquire(), classify: classifyPostgresError, signal });
  }

  /** Ends the driver's own pool; a pool you passed in is left open. */
  async close(): Promise<void> {
    await this.#pool.close();
  }

  /** How each transaction runs: its BEGIN (with the session's timeouts), a pooled session, the error table. */
  #spec(signal: AbortSignal | undefined): TransactionSpec {
    const begin = buildPostgresBegin(this.#options.statementTimeoutMs, this.#options.lockTimeoutMs);
    return { sink: SINK, begin, acquire: () => this.#pool.acquire(), classify: classifyPostgresError, signal };
  }
}
