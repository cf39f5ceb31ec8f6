import type { DeliveryId, DeliveryLedger, SQLSchemaLike } from '../../core/delivery.js';
import type { SQLSchema } from '../../core/schema.js';
import type { SinkError } from '../../errors/sink-error.js';
import { chunkRanges } from './chunk.js';
import { deliveryKey, sourcesOf } from './ledger.js';
import type { SqlSession } from './transaction.js';

/** How one pooled dialect (PostgreSQL, MySQL) runs its ledger upkeep. */
export interface SessionLedgerSpec {
  readonly acquire: () => Promise<SqlSession>;
  readonly classify: (err: unknown) => SinkError;
  /** `CREATE TABLE IF NOT EXISTS` of the schema's ledger. */
  readonly ddl: (schema: SQLSchemaLike) => string;
  /** True for an error a concurrent `CREATE TABLE IF NOT EXISTS` of the same table may raise (PostgreSQL's catalog race). */
  readonly createdMeanwhile?: (err: unknown) => boolean;
  /** The DELETE of `count` sources, and its parameters. */
  readonly forget: (schema: SQLSchemaLike, sources: readonly string[]) => { sql: string; params: unknown };
  /** The DELETE of rows written before a cutoff, and its parameters. */
  readonly sweep: (schema: SQLSchemaLike, beforeMs: number) => { sql: string; params: unknown };
  /** Rows a DELETE's result reports as deleted. */
  readonly affected: (result: unknown) => number;
  /** The SELECT of the ids recorded for some sources, and its parameters. */
  readonly lookup: (schema: SQLSchemaLike, sources: readonly string[]) => { sql: string; params: unknown };
  /** The rows of that SELECT's result. */
  readonly rows: (result: unknown) => readonly { source: string; seq: number | string }[];
}

/** Most sources per pruning DELETE: one short statement each, so pruning never holds many locks for long. */
const FORGET_CHUNK = 1000;

/**
 * The ledger upkeep of a pooled SQL driver, on connections of the driver's pool (outside any
 * batch): creating the table (once per table and driver, again after a failure) and the two
 * pruning DELETEs. DDL runs outside the batch transaction because MySQL commits implicitly on it.
 */
export class SessionLedger implements DeliveryLedger {
  readonly #spec: SessionLedgerSpec;
  /** Ledger tables known to exist (or being created), per table name. */
  readonly #ready = new Map<string, Promise<string>>();

  constructor(spec: SessionLedgerSpec) {
    this.#spec = spec;
  }

  /** Creates the ledger table unless this driver already did; a failed attempt is tried again next time. */
  ensure(schema: SQLSchema): Promise<string> {
    const table = schema.ledgerTable as string;
    let ready = this.#ready.get(table);
    if (!ready) {
      ready = this.prepare(schema);
      this.#ready.set(table, ready);
      ready.catch(() => this.#ready.delete(table));
    }
    return ready;
  }

  /** Creates the ledger table again, whatever this driver remembers: after it was dropped under the worker. */
  recreate(schema: SQLSchema): Promise<string> {
    this.#ready.delete(schema.ledgerTable as string);
    return this.ensure(schema);
  }

  async prepare(schema: SQLSchemaLike): Promise<string> {
    const sql = this.#spec.ddl(schema);
    await this.#run(async (session) => {
      try {
        await session.query(sql);
      } catch (err) {
        if (!this.#spec.createdMeanwhile?.(err)) throw err;
      }
    });
    return sql;
  }

  async forget(schema: SQLSchemaLike, sources: readonly string[]): Promise<number> {
    if (sources.length === 0) return 0;
    return this.#run(async (session) => {
      let deleted = 0;
      for (const { start, end } of chunkRanges(sources.length, FORGET_CHUNK)) {
        const { sql, params } = this.#spec.forget(schema, sources.slice(start, end));
        deleted += this.#spec.affected(await session.query(sql, params));
      }
      return deleted;
    });
  }

  async recorded(schema: SQLSchemaLike, ids: readonly DeliveryId[]): Promise<DeliveryId[]> {
    if (ids.length === 0) return [];
    await this.prepare(schema); // outside any batch, and rare (only for jobs BullMQ failed)
    const wanted = new Set(ids.map((id) => deliveryKey(id.source, id.seq)));
    const sources = sourcesOf(ids);
    return this.#run(async (session) => {
      const found: DeliveryId[] = [];
      for (const { start, end } of chunkRanges(sources.length, FORGET_CHUNK)) {
        const { sql, params } = this.#spec.lookup(schema, sources.slice(start, end));
        for (const row of this.#spec.rows(await session.query(sql, params))) {
          const id = { source: row.source, seq: Number(row.seq) };
          if (wanted.has(deliveryKey(id.source, id.seq))) found.push(id);
        }
      }
      return found;
    });
  }

  async sweep(schema: SQLSchemaLike, beforeMs: number): Promise<number> {
    const { sql, params } = this.#spec.sweep(schema, beforeMs);
    return this.#run(async (session) => this.#spec.affected(await session.query(sql, params)));
  }

  async #run<T>(work: (session: SqlSession) => Promise<T>): Promise<T> {
    let session: SqlSession;
    try {
      session = await this.#spec.acquire();
    } catch (err) {
      throw this.#spec.classify(err);
    }
    try {
      const result = await work(session);
      session.release(false);
      return result;
    } catch (err) {
      session.release(true);
      throw this.#spec.classify(err);
    }
  }
}
