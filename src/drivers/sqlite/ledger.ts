import type { Value } from '../../core/column-type.js';
import type { DeliveryId, DeliveryLedger, SQLSchemaLike } from '../../core/delivery.js';
import type { SQLSchema } from '../../core/schema.js';
import { chunkRanges } from '../sql/chunk.js';
import { buildLedgerDdl, deliveryKey, ledgerTableOf, sourcesOf, type LedgerBatch, type LedgerColumnTypes } from '../sql/ledger.js';
import { quoteTableName } from '../sql/quote.js';
import { classifySqliteError } from './error-codes.js';

/** SQLite's exactly-once ledger: SQL text, the claim a batch makes in its transaction, and the upkeep. */

const LEDGER_TYPES: LedgerColumnTypes = Object.freeze({ source: 'TEXT', seq: 'INTEGER', ms: 'INTEGER', tableSuffix: ' WITHOUT ROWID' });

/** Most ids per ledger statement: 3 parameters each, under the 32,766-parameter limit. */
const LEDGER_CHUNK = 500;

const table = (schema: SQLSchemaLike): string => quoteTableName(ledgerTableOf(schema), '"');

/** The part of a better-sqlite3 `Database` the ledger uses. */
export interface SqliteLedgerDatabase {
  prepare(sql: string): { run(params: unknown[]): unknown; all?(params: unknown[]): unknown[] };
  exec(sql: string): unknown;
}

/** `CREATE TABLE IF NOT EXISTS` of the ledger, `WITHOUT ROWID` (the primary key is the table). */
export function buildSqliteLedgerDdl(schema: SQLSchemaLike): string {
  return buildLedgerDdl(schema, '"', LEDGER_TYPES);
}

/** `SELECT source, seq FROM ledger WHERE source IN (?, …)` for `count` sources. */
export function buildSqliteLedgerLookup(schema: SQLSchemaLike, count: number): string {
  return `SELECT source, seq FROM ${table(schema)} WHERE source IN (${placeholders(count, '?')})`;
}

/** `INSERT INTO ledger (source, seq, written_ms) VALUES (?, ?, ?), …` for `count` ids. */
export function buildSqliteLedgerInsert(schema: SQLSchemaLike, count: number): string {
  return `INSERT INTO ${table(schema)} (source, seq, written_ms) VALUES ${placeholders(count, '(?, ?, ?)')}`;
}

/**
 * Inside the batch's `BEGIN IMMEDIATE` transaction: looks up which ids are recorded, records
 * the rest and returns the rows to write. The write lock is held from BEGIN, so no other
 * connection can record an id between the lookup and the insert.
 */
export function claimSqliteRows(db: SqliteLedgerDatabase, schema: SQLSchema, batch: LedgerBatch, nowMs: number): (readonly Value[])[] {
  const recorded = new Set<string>();
  const sources = sourcesOf(batch.ids);
  for (const { start, end } of chunkRanges(sources.length, LEDGER_CHUNK)) {
    const rows = allRows(db, buildSqliteLedgerLookup(schema, end - start), sources.slice(start, end)) as { source: string; seq: number | bigint }[];
    for (const row of rows) recorded.add(deliveryKey(row.source, Number(row.seq)));
  }
  const fresh = batch.ids.filter((id) => !recorded.has(deliveryKey(id.source, id.seq)));
  for (const { start, end } of chunkRanges(fresh.length, LEDGER_CHUNK)) {
    db.prepare(buildSqliteLedgerInsert(schema, end - start)).run(fresh.slice(start, end).flatMap((id) => [id.source, id.seq, nowMs]));
  }
  return batch.rowsFor((key) => !recorded.has(key));
}

/** The ledger upkeep on the driver's own database (synchronous, like every SQLite call). */
export class SqliteLedger implements DeliveryLedger {
  readonly #ready = new Set<string>();
  readonly #database: () => Promise<SqliteLedgerDatabase>;

  constructor(database: () => Promise<SqliteLedgerDatabase>) {
    this.#database = database;
  }

  /** Creates the ledger table unless this driver already did. */
  ensure(db: SqliteLedgerDatabase, schema: SQLSchema): void {
    const name = ledgerTableOf(schema);
    if (this.#ready.has(name)) return;
    db.exec(buildSqliteLedgerDdl(schema));
    this.#ready.add(name);
  }

  /**
   * True when the ledger table is in the catalog: SQLite reports a missing table with its generic
   * `SQLITE_ERROR` (as it does a syntax error), so the catalog, not the message, tells them apart.
   */
  exists(db: SqliteLedgerDatabase, schema: SQLSchemaLike): boolean {
    const parts = ledgerTableOf(schema).split('.');
    const name = parts.pop() as string;
    const catalog = parts.length > 0 ? `${quoteTableName(parts.join('.'), '"')}.sqlite_master` : 'sqlite_master';
    return allRows(db, `SELECT 1 FROM ${catalog} WHERE type = 'table' AND name = ?`, [name]).length > 0;
  }

  /** Forgets that this driver created the table, so the next {@link ensure} creates it again (it was dropped). */
  forgetCreated(schema: SQLSchemaLike): void {
    this.#ready.delete(ledgerTableOf(schema));
  }

  async prepare(schema: SQLSchemaLike): Promise<string> {
    const sql = buildSqliteLedgerDdl(schema);
    this.#run(await this.#database(), (db) => db.exec(sql));
    this.#ready.add(ledgerTableOf(schema));
    return sql;
  }

  async forget(schema: SQLSchemaLike, sources: readonly string[]): Promise<number> {
    const db = await this.#database();
    return this.#run(db, () => {
      let deleted = 0;
      for (const { start, end } of chunkRanges(sources.length, LEDGER_CHUNK)) {
        const sql = `DELETE FROM ${table(schema)} WHERE source IN (${placeholders(end - start, '?')})`;
        deleted += changes(db.prepare(sql).run(sources.slice(start, end)));
      }
      return deleted;
    });
  }

  async recorded(schema: SQLSchemaLike, ids: readonly DeliveryId[]): Promise<DeliveryId[]> {
    if (ids.length === 0) return [];
    const db = await this.#database();
    const wanted = new Set(ids.map((id) => deliveryKey(id.source, id.seq)));
    const sources = sourcesOf(ids);
    return this.#run(db, () => {
      db.exec(buildSqliteLedgerDdl(schema)); // a ledger never written holds nothing
      const found: DeliveryId[] = [];
      for (const { start, end } of chunkRanges(sources.length, LEDGER_CHUNK)) {
        for (const row of allRows(db, buildSqliteLedgerLookup(schema, end - start), sources.slice(start, end)) as { source: string; seq: number | bigint }[]) {
          const id = { source: row.source, seq: Number(row.seq) };
          if (wanted.has(deliveryKey(id.source, id.seq))) found.push(id);
        }
      }
      return found;
    });
  }

  async sweep(schema: SQLSchemaLike, beforeMs: number): Promise<number> {
    const db = await this.#database();
    return this.#run(db, () => changes(db.prepare(`DELETE FROM ${table(schema)} WHERE written_ms < ?`).run([beforeMs])));
  }

  #run<T>(db: SqliteLedgerDatabase, work: (db: SqliteLedgerDatabase) => T): T {
    try {
      return work(db);
    } catch (err) {
      throw classifySqliteError(err);
    }
  }
}

function allRows(db: SqliteLedgerDatabase, sql: string, params: unknown[]): unknown[] {
  const statement = db.prepare(sql);
  if (!statement.all) throw new Error('sqlite: the database given to the driver cannot read rows (Statement#all), which exactly-once needs');
  return statement.all(params);
}

function changes(result: unknown): number {
  return Number((result as { changes?: number | bigint } | undefined)?.changes ?? 0);
}

function placeholders(count: number, one: string): string {
  return new Array<string>(count).fill(one).join(', ');
}
