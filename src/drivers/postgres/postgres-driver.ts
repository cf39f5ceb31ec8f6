import type pg from 'pg';
import type { BatchExecutor } from '../../core/batch-executor.js';
import type { Request } from '../../core/request.js';
import type { Schema, SQLSchema } from '../../core/schema.js';
import { SinkError } from '../../errors/sink-error.js';
import { readBatch } from '../sql/batch-rows.js';
import { requireSqlSchema } from '../sql/batch-guard.js';
import { chunkRangesByBytes } from '../sql/chunk.js';
import { POSTGRES_MAX_STATEMENT_BYTES, refuseOversizedFields } from './field-limit.js';
import { checkInteger, resolvePooledOptions } from '../sql/driver-options.js';
import { quoteTableName } from '../sql/quote.js';
import { lastRowPerKey, newestRowsIfVersioned } from '../sql/row-key.js';
import { inDatabaseKeyOrder, keyIndexesOf, lastRowPerDatabaseKey } from '../sql/key-order.js';
import { LookalikeKeyRanks } from './key-ranks.js';
import type { Value } from '../../core/column-type.js';
import { pingSession, runTransaction, type SqlSession } from '../sql/transaction.js';
import { isExactlyOnce, ledgerBatch, type LedgerBatch } from '../sql/ledger.js';
import { SessionLedger } from '../sql/session-ledger.js';
import { writeWithLedgerRecovery } from '../sql/ledger-recovery.js';
import { claimPostgresRows, postgresLedgerSpec } from './ledger.js';
import { loadClient } from '../load-client.js';
import { classifyPostgresError } from './error-codes.js';
import {
  buildPostgresBegin,
  buildPostgresInsert,
  elementTypeForCatalogType,
  POSTGRES_COLUMN_TYPES_SQL,
} from './statement-builder.js';
import { postgresArrayLiterals } from './array-literal.js';
import { splitOperations } from '../sql/delete-rows.js';
import { deletePostgresKeys, guardPostgresUpserts, lockPostgresKeys } from './delete-keys.js';
import { keepsTombstones, TombstoneKeeper } from '../sql/tombstone-keeper.js';
import { createPostgresTombstones } from './tombstones.js';

/** The part of a checked-out client the driver uses; a node-postgres `PoolClient` fits. */
export interface PostgresClientLike {
  /** Runs one statement with bound parameters. */
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
  /** Returns the client to its pool; a truthy argument destroys it instead. */
  release(destroy?: boolean | Error): void;
}

/** The part of a pool the driver uses; a node-postgres `Pool` fits. */
export interface PostgresPoolLike {
  /** Checks out a client; the driver releases it after the batch. */
  connect(): Promise<PostgresClientLike>;
}

/** Options of {@link PostgresDriver}. Give exactly one of `pool` and `connectionString`. */
export interface PostgresDriverOptions {
  /**
   * Your own pool (e.g. `new pg.Pool(...)`). The driver checks out one client per batch and
   * never ends the pool: it stays yours to configure and close.
   * @defaultValue none
   */
  pool?: PostgresPoolLike;
  /**
   * A `postgres://user:password@host:port/db` URL. The driver then opens, owns and (on
   * `close()`) ends its own pool. It never appears in error messages.
   * @defaultValue none
   */
  connectionString?: string;
  /**
   * Most connections in the driver's own pool (ignored with `pool`).
   * @defaultValue 10
   */
  poolSize?: number;
  /**
   * How long the driver's own pool waits for a connection before failing with reason `connection`
   * (ignored with `pool`).
   * @defaultValue 10000
   */
  connectTimeoutMs?: number;
  /**
   * `statement_timeout` for each batch's transaction (`SET LOCAL`); a statement running longer
   * fails with SQLSTATE 57014, reason `timeout`.
   * @defaultValue undefined (the server's setting)
   */
  statementTimeoutMs?: number;
  /**
   * `lock_timeout` for each batch's transaction (`SET LOCAL`); a lock wait longer than this
   * fails with SQLSTATE 55P03, reason `lock_timeout`.
   * @defaultValue undefined (the server's setting)
   */
  lockTimeoutMs?: number;
  /**
   * Most rows per `INSERT … SELECT * FROM unnest(…)` statement; larger batches run several
   * statements inside the same transaction. Array binding uses one parameter per column,
   * so this bounds message size and memory, not the 65,535-parameter limit.
   * @defaultValue 10000
   */
  maxRowsPerStatement?: number;
}

/** Defaults of {@link PostgresDriverOptions}. */
export const POSTGRES_DRIVER_DEFAULTS = Object.freeze({
  poolSize: 10,
  connectTimeoutMs: 10_000,
  maxRowsPerStatement: 10_000,
} satisfies PostgresDriverOptions);

const SINK = 'postgres';
/** SQLSTATE cardinality_violation: `ON CONFLICT DO UPDATE command cannot affect row a second time`. */
const CARDINALITY_VIOLATION = '21000';

/** True when conflicts update the stored row (`DO UPDATE`), which may not touch one row twice per statement. */
function mergesOnConflict(schema: SQLSchema): boolean {
  return (schema.conflict === 'update' || schema.conflict === 'replace') && schema.keys.length < schema.columns.length;
}

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
  /** The pool batches use: yours, or the driver's own once it is opened. */
  #pool: PostgresPoolLike | undefined;
  /** The driver's own pool, opened on first use (that is also when `pg` is loaded). */
  #ownedPool: Promise<pg.Pool> | undefined;
  #closed = false;
  /** Catalog column types per table, read once (the array casts, see {@link PostgresDriver}). */
  readonly #catalogTypes = new Map<string, ReadonlyMap<string, string>>();
  /** The database's order of look-alike key spellings (see {@link LookalikeKeyRanks}). */
  readonly #keyRanks = new LookalikeKeyRanks();
  /** The tombstone tables this driver has made sure of, and when it last pruned each. */
  readonly #tombstones = new TombstoneKeeper();
  /** The `delivery: 'exactly-once'` ledger: created on first use, pruned by the consumer. */
  readonly ledger = new SessionLedger({ ...postgresLedgerSpec(), acquire: () => this.#acquire(), classify: classifyPostgresError });

  /**
   * Validates the options (a `ConfigError` names the bad field); opens no connection yet. With
   * `connectionString`, `pg` is loaded on first use: importing or constructing the driver loads
   * no client, and a missing `pg` fails that first use with a `MissingClientError` naming it.
   */
  constructor(options: PostgresDriverOptions) {
    const o = (this.#options = resolvePooledOptions(OWNER, POSTGRES_DRIVER_DEFAULTS, options));
    checkInteger(OWNER, 'statementTimeoutMs', o.statementTimeoutMs, 0, true);
    checkInteger(OWNER, 'lockTimeoutMs', o.lockTimeoutMs, 0, true);
    this.#pool = o.pool;
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
      const spec = { sink: SINK, begin: buildPostgresBegin(this.#options.statementTimeoutMs, this.#options.lockTimeoutMs), acquire: () => this.#acquire(), classify: classifyPostgresError, signal };
      await this.#tombstones.ensure(sql.tombstones.table, () => createPostgresTombstones(spec, sql));
    }
    const write = () => this.#transaction(sql, batch.rows, batch.deletes, once, false, signal);
    try {
      // undefined_table: the ledger may have been dropped under the worker (or the data table: then it fails again).
      if (once) await writeWithLedgerRecovery(write, (err) => err.sinkCode === '42P01', () => this.ledger.recreate(sql));
      else await write();
    } catch (err) {
      // The table may have changed under a cached type list; read it again next time.
      this.#catalogTypes.delete(sql.table);
      this.#keyRanks.forget(sql.table);
      if (keepsTombstones(sql)) this.#tombstones.forget(sql.tombstones.table);
      if (!(err instanceof SinkError) || err.sinkCode !== CARDINALITY_VIOLATION) throw err;
      await this.#transaction(sql, batch.rows, batch.deletes, once, true, signal);
    }
  }

  /** One attempt at the batch's transaction; `rowByRow` writes each row in its own statement. */
  async #transaction(
    sql: SQLSchema,
    batchRows: readonly (readonly Value[])[],
    deletes: ReadonlySet<readonly Value[]>,
    once: LedgerBatch | undefined,
    rowByRow: boolean,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const begin = buildPostgresBegin(this.#options.statementTimeoutMs, this.#options.lockTimeoutMs);
    await runTransaction({ sink: SINK, begin, acquire: () => this.#acquire(), classify: classifyPostgresError, signal }, async (query, checkpoint, send) => {
      // Exactly-once: only the requests this transaction recorded first are written.
      const claimed = once ? await claimPostgresRows(query, sql, once, this.#options.maxRowsPerStatement, Date.now()) : batchRows;
      // Deletes first, in key order and one statement per chunk; then the upserts they leave.
      // By the database's keys: look-alike spellings of one key (citext, char(n)) are one key here too.
      const operations = splitOperations(sql, claimed, deletes, deletes.size > 0 ? await this.#keyRanks.rank(query, sql, claimed) : undefined);
      const context = { query, checkpoint, schema: sql, elementTypes: await this.#elementTypes(sql, query), maxRows: this.#options.maxRowsPerStatement, keeper: this.#tombstones };
      await lockPostgresKeys(context, claimed);
      if (operations.deletes.length > 0) await deletePostgresKeys(context, operations.deletes, Date.now());
      let rows = operations.upserts;
      // One row per key (DO UPDATE cannot touch a row twice): the newest version, else the last submit.
      if (sql.version) rows = newestRowsIfVersioned(sql, [...rows]);
      else if (mergesOnConflict(sql)) rows = lastRowPerKey(rows, keyIndexesOf(sql));
      if (rows.length === 0) return;
      const text = buildPostgresInsert(sql, context.elementTypes);
      refuseOversizedFields(SINK, rows);
      if (!rowByRow) {
        const ranks = await this.#keyRanks.rank(query, sql, rows);
        // Likewise for spellings the database equates; DO NOTHING keeps the first, which key order keeps first.
        if (ranks && mergesOnConflict(sql)) rows = lastRowPerDatabaseKey(sql, rows, ranks);
        rows = inDatabaseKeyOrder(sql, rows, ranks);
      }
      for (const { start, end } of chunkRangesByBytes(rows, rowByRow ? 1 : this.#options.maxRowsPerStatement, POSTGRES_MAX_STATEMENT_BYTES)) {
        checkpoint();
        // Sent, not awaited, on a pipelined client: BEGIN and every chunk go out without waiting for a round trip each.
        // Each column as one array literal, written here (see postgresArrayLiterals): not JS arrays for node-postgres to convert.
        await send(text, postgresArrayLiterals(sql, rows, start, end));
      }
      // An upsert older than its key's tombstone (a late redelivery of a write the delete overtook) is undone.
      await guardPostgresUpserts(context, rows);
    });
  }

  /**
   * A zero-row `INSERT` into the schema's table in its own transaction: it changes nothing, but
   * fails like a batch would on a read-only server, a locked table or a lost connection.
   */
  async probeWrite(schema: Schema, signal?: AbortSignal): Promise<void> {
    const sql = requireSqlSchema(schema, SINK);
    const begin = buildPostgresBegin(this.#options.statementTimeoutMs, this.#options.lockTimeoutMs);
    await runTransaction({ sink: SINK, begin, acquire: () => this.#acquire(), classify: classifyPostgresError, signal }, async (query) => {
      await query(buildPostgresInsert(sql, await this.#elementTypes(sql, query)), sql.columns.map(() => []));
    });
  }

  /** Runs `SELECT 1` on a pooled connection; rejects with a classified `SinkError` when the server does not answer. */
  async ping(signal?: AbortSignal): Promise<void> {
    await pingSession({ sink: SINK, acquire: () => this.#acquire(), classify: classifyPostgresError, signal });
  }

  /** Ends the driver's own pool; a pool you passed in is left open. */
  async close(): Promise<void> {
    this.#closed = true;
    const pool = await this.#ownedPool?.catch(() => undefined);
    if (pool && !pool.ended) await pool.end();
  }

  /** The pool to check out from: yours, or the driver's own, opened (and `pg` loaded) on first use. */
  async #openPool(): Promise<PostgresPoolLike> {
    if (this.#pool) return this.#pool;
    if (this.#closed) throw new SinkError('connection', `${SINK}: driver is closed`);
    const o = this.#options;
    this.#ownedPool ??= loadClient('pg', 'PostgresDriver', () => import('pg')).then(({ default: pg }) => {
      // Pipeline mode: a batch's BEGIN and INSERTs go out back to back, then COMMIT, so a database
      // across a network costs the batch two round trips, not three (see `runTransaction`).
      const pool = new pg.Pool({ connectionString: o.connectionString, max: o.poolSize, connectionTimeoutMillis: o.connectTimeoutMs, pipeline: true });
      // An idle client that loses its connection emits 'error' on the pool; unhandled, that
      // would crash the worker. The next checkout simply gets a fresh connection.
      pool.on('error', () => undefined);
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

  async #acquire(): Promise<SqlSession> {
    const client = await (await this.#openPool()).connect();
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

  async #elementTypes(schema: SQLSchema, query: SqlSession['query']): Promise<string[]> {
    let catalog = this.#catalogTypes.get(schema.table);
    if (!catalog) {
      const result = (await query(POSTGRES_COLUMN_TYPES_SQL, [quoteTableName(schema.table, '"')])) as { rows: { name: string; type: string }[] };
      catalog = new Map(result.rows.map((row) => [row.name, elementTypeForCatalogType(row.type)]));
      this.#catalogTypes.set(schema.table, catalog);
    }
    return schema.columns.map((column) => {
      const type = catalog.get(column);
      if (type === undefined) {
        // What the server would report (undefined_column), classified the same way (class 42 is
        // `schema`): the table drifted from the schema, no row is at fault, so the batch is held.
        throw new SinkError('schema', `${SINK}: column "${column}" of relation "${schema.table}" does not exist`, { sinkCode: '42703' });
      }
      return type;
    });
  }
}
