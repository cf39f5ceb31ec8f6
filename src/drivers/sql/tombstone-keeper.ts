import type { SQLSchema } from '../../core/schema.js';
import type { Tombstones } from '../../core/tombstones.js';

/** A schema that keeps delete tombstones (so it has a version column). */
export type TombstoneSchema = SQLSchema & { readonly tombstones: Tombstones; readonly version: NonNullable<SQLSchema['version']> };

/** True when the schema keeps tombstones. */
export function keepsTombstones(schema: SQLSchema): schema is TombstoneSchema {
  return schema.tombstones !== undefined && schema.tombstones !== false && schema.version !== undefined;
}

/**
 * Per driver: which tombstone tables are known to exist, and when each was last pruned. Pruning
 * runs inside a delete batch's transaction at most once per `pruneIntervalMs` per table, so its
 * cost (one indexed-less scan of a side table that holds only recent deletes) stays off most batches.
 */
export class TombstoneKeeper {
  readonly #ensured = new Set<string>();
  readonly #pruned = new Map<string, number>();
  readonly #pruneIntervalMs: number;

  /** @param pruneIntervalMs least time between two prunes of one table */
  constructor(pruneIntervalMs = 60_000) {
    this.#pruneIntervalMs = pruneIntervalMs;
  }

  /** Runs `create` once per table (again after {@link TombstoneKeeper.forget}). */
  async ensure(table: string, create: () => Promise<void>): Promise<void> {
    if (this.#ensured.has(table)) return;
    await create();
    this.#ensured.add(table);
  }

  /** {@link TombstoneKeeper.ensure} for a synchronous client (better-sqlite3). */
  ensureSync(table: string, create: () => void): void {
    if (this.#ensured.has(table)) return;
    create();
    this.#ensured.add(table);
  }

  /** Forgets that a table exists (it may have been dropped): the next batch creates it again. */
  forget(table: string): void {
    this.#ensured.delete(table);
  }

  /** True (and counted as done) when the table is due for a prune at `nowMs`. */
  duePrune(table: string, nowMs: number): boolean {
    const last = this.#pruned.get(table);
    if (last !== undefined && nowMs - last < this.#pruneIntervalMs) return false;
    this.#pruned.set(table, nowMs);
    return true;
  }
}
