import { readUniqueIndexes, type MySqlQuery, type UniqueIndexes } from './unique-indexes.js';

/**
 * Each table's unique indexes and when they were read: they decide whether a batch may use the
 * single-statement upsert, so they are read again after `ttlMs` (an index added while workers run
 * is honoured after at most that long) and at once after a failed batch ({@link UniqueIndexCache.forget}).
 */
export class UniqueIndexCache {
  readonly #byTable = new Map<string, { readonly readAtMs: number; readonly indexes: UniqueIndexes }>();
  readonly #ttlMs: number;

  /** @param ttlMs how long indexes read are trusted; `0` reads them for every batch */
  constructor(ttlMs: number) {
    this.#ttlMs = ttlMs;
  }

  /** The table's unique indexes, read on the batch's connection unless read less than `ttlMs` ago. */
  async of(table: string, query: MySqlQuery): Promise<UniqueIndexes> {
    const cached = this.#byTable.get(table);
    const now = Date.now();
    if (cached && now - cached.readAtMs < this.#ttlMs) return cached.indexes;
    const indexes = await readUniqueIndexes(query, table);
    this.#byTable.set(table, { readAtMs: now, indexes });
    return indexes;
  }

  /** Drops what was read of a table (it may have changed); the next batch reads it again. */
  forget(table: string): void {
    this.#byTable.delete(table);
  }
}
