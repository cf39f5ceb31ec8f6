import type { SQLSchema } from '../../core/schema.js';
import { SinkError } from '../../errors/sink-error.js';
import { quoteTableName } from '../sql/quote.js';
import type { SqlSession } from '../sql/transaction.js';
import { elementTypeForCatalogType, POSTGRES_COLUMN_TYPES_SQL } from './statement-builder.js';

const SINK = 'postgres';

/**
 * The array element type of each column, from the catalog: the casts of `unnest($1::type[], …)`.
 * Read once per table and cached (without modifiers: the assignment, not the cast, checks
 * `varchar(n)` and `numeric(p,s)`, so an overflow fails as bad data instead of being cut short).
 */
export class CatalogElementTypes {
  /** Catalog column types per table, read once. */
  readonly #byTable = new Map<string, ReadonlyMap<string, string>>();

  /** The element type of each of the schema's columns, in column order, read on the batch's session when not cached. */
  async of(schema: SQLSchema, query: SqlSession['query']): Promise<string[]> {
    let catalog = this.#byTable.get(schema.table);
    if (!catalog) {
      const result = (await query(POSTGRES_COLUMN_TYPES_SQL, [quoteTableName(schema.table, '"')])) as { rows: { name: string; type: string }[] };
      catalog = new Map(result.rows.map((row) => [row.name, elementTypeForCatalogType(row.type)]));
      this.#byTable.set(schema.table, catalog);
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

  /** Drops a table's cached types (it may have changed under them); the next batch reads them again. */
  forget(table: string): void {
    this.#byTable.delete(table);
  }
}
