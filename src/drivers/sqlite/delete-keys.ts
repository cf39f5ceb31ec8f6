import type { Value } from '../../core/column-type.js';
import type { SQLSchema } from '../../core/schema.js';
import { buildDeleteWhere, deleteColumnIndexes } from '../sql/delete-rows.js';
import { inKeyOrder, keyIndexesOf } from '../sql/key-order.js';
import { keepsTombstones, TombstoneKeeper } from '../sql/tombstone-keeper.js';
import { buildSqliteTombstoneDdl, buildSqliteTombstoneGuard, buildSqliteTombstonePrune, buildSqliteTombstoneRecord } from './tombstones.js';

/** The part of a better-sqlite3 database the deletes use. */
interface Db {
  prepare(sql: string): { run(...params: unknown[]): unknown };
  exec(sql: string): unknown;
}
/** Turns a row's value at a column index into what better-sqlite3 binds. */
type Bind = (value: Value, index: number) => unknown;

/**
 * A SQLite driver's deletes: one prepared statement per schema and kind (delete, tombstone record,
 * tombstone guard), each run once per key in key order: SQLite has one writer, and a prepared
 * statement skips parsing, so this is its fastest form.
 */
export class SqliteDeletes {
  readonly #prepared = new WeakMap<SQLSchema, Map<string, { run(...params: unknown[]): unknown }>>();
  readonly #keeper = new TombstoneKeeper();

  #statement(db: Db, schema: SQLSchema, kind: string, build: () => string): { run(...params: unknown[]): unknown } {
    let byKind = this.#prepared.get(schema);
    if (!byKind) this.#prepared.set(schema, (byKind = new Map()));
    let statement = byKind.get(kind);
    if (!statement) byKind.set(kind, (statement = db.prepare(build())));
    return statement;
  }

  /** Creates the schema's tombstone table and index when missing (outside the batch's transaction; `IF NOT EXISTS` makes a race harmless). */
  ensure(db: Db, schema: SQLSchema): void {
    if (!keepsTombstones(schema)) return;
    this.#keeper.ensureSync(schema.tombstones.table, () => {
      for (const sql of buildSqliteTombstoneDdl(schema)) db.exec(sql);
    });
  }

  /** Forgets the schema's prepared statements and tombstone table (after an error: the tables may have changed). */
  forget(schema: SQLSchema): void {
    this.#prepared.delete(schema);
    if (keepsTombstones(schema)) this.#keeper.forget(schema.tombstones.table);
  }

  /** Deletes the rows' keys; with tombstones also records one per key, and now and then prunes expired ones. */
  deleteKeys(db: Db, schema: SQLSchema, rows: readonly (readonly Value[])[], bind: Bind, nowMs: number): void {
    const indexes = deleteColumnIndexes(schema);
    const remove = this.#statement(db, schema, 'delete', () => buildDeleteWhere(schema, '"', 1));
    const tomb = keepsTombstones(schema) ? schema : undefined;
    const record = tomb && this.#statement(db, schema, 'record', () => buildSqliteTombstoneRecord(tomb));
    for (const row of inKeyOrder(schema, rows)) {
      const params = indexes.map((index) => bind(row[index] ?? null, index));
      remove.run(params);
      record?.run([...params, nowMs]);
    }
    if (tomb && this.#keeper.duePrune(tomb.tombstones.table, nowMs)) {
      this.#statement(db, schema, 'prune', () => buildSqliteTombstonePrune(tomb)).run([nowMs - tomb.tombstones.retentionMs]);
    }
  }

  /** After the upserts: removes any upserted row older than its key's tombstone again (no-op without tombstones). */
  guardUpserts(db: Db, schema: SQLSchema, rows: readonly (readonly Value[])[], bind: Bind): void {
    if (!keepsTombstones(schema) || rows.length === 0) return;
    const guard = this.#statement(db, schema, 'guard', () => buildSqliteTombstoneGuard(schema));
    const keys = keyIndexesOf(schema);
    for (const row of inKeyOrder(schema, rows)) guard.run(keys.map((index) => bind(row[index] ?? null, index)));
  }
}
