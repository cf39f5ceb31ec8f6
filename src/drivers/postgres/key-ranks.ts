import type { Value } from '../../core/column-type.js';
import type { SQLSchema } from '../../core/schema.js';
import { toColumns } from '../sql/batch-rows.js';
import { quoteTableName } from '../sql/quote.js';
import { keyIndexesOf, lookalikeRows, type DatabaseKeyRanks } from '../sql/key-order.js';
import { columnDatesAsText, postgresUtcText } from '../sql/utc-time-text.js';
import type { SqlSession } from '../sql/transaction.js';

/**
 * The database's own equality and order of a table's key, for the rows whose spellings only it can
 * tell apart or together (see `lookalikeRows`): `citext`, a padded `char(n)`, a nondeterministic
 * collation equate 'a' and 'A' or 'a' and 'a '; `text` keeps them apart. PostgreSQL ranks the
 * values by the key columns' own types and collations, so equal ranks are one key.
 */

/** One key column's type (unmodified) and collation, as the comparison needs them. */
interface KeyColumnType {
  readonly type: string;
  /** A quoted collation name, undefined for a type without collation. */
  readonly collation: string | undefined;
}

/** Every column's unmodified type and collation; `$1` is the quoted table name. */
const POSTGRES_KEY_TYPES_SQL =
  'SELECT a.attname AS name, format_type(a.atttypid, NULL) AS type, ' +
  "CASE WHEN a.attcollation = 0 THEN NULL ELSE quote_ident(n.nspname) || '.' || quote_ident(c.collname) END AS collation " +
  'FROM pg_catalog.pg_attribute a LEFT JOIN pg_catalog.pg_collation c ON c.oid = a.attcollation ' +
  'LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.collnamespace ' +
  'WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped';

/**
 * Catalog names whose unmodified spelling means length one; compared as their unbounded kin.
 * `bpchar` keeps `char(n)`'s comparison, which ignores trailing spaces (`text` would not).
 */
const UNBOUNDED: Readonly<Record<string, string>> = Object.freeze({ character: 'bpchar', bit: 'bit varying' });

/** Reads the key columns' types and collations from the catalog; undefined when one is missing. */
async function readKeyColumnTypes(query: SqlSession['query'], schema: SQLSchema): Promise<KeyColumnType[] | undefined> {
  const result = (await query(POSTGRES_KEY_TYPES_SQL, [quoteTableName(schema.table, '"')])) as { rows: { name: string; type: string; collation: string | null }[] };
  const byName = new Map(result.rows.map((row) => [row.name, row]));
  const types: KeyColumnType[] = [];
  for (const key of schema.keys) {
    const row = byName.get(key);
    if (!row) return undefined;
    types.push({ type: UNBOUNDED[row.type] ?? row.type, collation: row.collation ?? undefined });
  }
  return types;
}

/** `SELECT dense_rank() OVER (ORDER BY k1 COLLATE c1, k2) … FROM unnest($1::t1[], $2::t2[])`, one rank per input row, in input order. */
export function buildKeyRankQuery(types: readonly KeyColumnType[]): string {
  const names = types.map((_, i) => `k${i + 1}`);
  const order = types.map(({ collation }, i) => (collation ? `${names[i]} COLLATE ${collation}` : names[i])).join(', ');
  const arrays = types.map(({ type }, i) => `$${i + 1}::${type}[]`).join(', ');
  return `SELECT (dense_rank() OVER (ORDER BY ${order}))::int AS r, i FROM unnest(${arrays}) WITH ORDINALITY AS t(${names.join(', ')}, i) ORDER BY i`;
}

/** Asks the database to rank `rows`' keys (rows with a null key must not be among them). */
async function rankKeysInDatabase(query: SqlSession['query'], schema: SQLSchema, types: readonly KeyColumnType[], rows: readonly (readonly Value[])[]): Promise<DatabaseKeyRanks> {
  const keyIndexes = keyIndexesOf(schema);
  const columns = columnDatesAsText(schema, toColumns(rows, schema.columns.length), postgresUtcText);
  const result = (await query(buildKeyRankQuery(types), keyIndexes.map((index) => columns[index]))) as { rows: { r: number }[] };
  return new Map(rows.map((row, i) => [row, Number(result.rows[i]?.r ?? 0)]));
}

/**
 * Ranks a batch's look-alike key spellings in the database, reading each table's key types and
 * collations once (forget a table when it may have changed).
 */
export class LookalikeKeyRanks {
  readonly #types = new Map<string, readonly KeyColumnType[]>();

  /** The ranks of `rows`' look-alike spellings (see `lookalikeRows`), undefined when there are none. */
  async rank(query: SqlSession['query'], schema: SQLSchema, rows: readonly (readonly Value[])[]): Promise<DatabaseKeyRanks | undefined> {
    const lookalikes = lookalikeRows(schema, rows);
    if (lookalikes.length === 0) return undefined;
    const types = this.#types.get(schema.table) ?? (await readKeyColumnTypes(query, schema));
    // A key column missing from the table: the insert then fails with the server's own error.
    if (!types) return undefined;
    this.#types.set(schema.table, types);
    return rankKeysInDatabase(query, schema, types, lookalikes);
  }

  /** Drops a table's cached key types, to be read again on next use. */
  forget(table: string): void {
    this.#types.delete(table);
  }
}
