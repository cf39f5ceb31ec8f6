import type { Value } from '../../core/column-type.js';
import type { SQLSchema } from '../../core/schema.js';
import { keyIndexesOf, lookalikeRows, type DatabaseKeyRanks } from '../sql/key-order.js';
import { field, resultRows, type MySqlQuery } from './unique-indexes.js';

/**
 * The server's own equality and order of a table's key, for the rows whose spellings only it can
 * tell apart or together (see `lookalikeRows`): a `*_ci` collation equates 'a' and 'A', a `_bin`
 * one keeps them apart, and PAD SPACE collations ignore trailing spaces. The server ranks the
 * values under each key column's collation (`DENSE_RANK`, MySQL 8 and MariaDB 10.2), so equal
 * ranks are one key. Columns without a collation (numbers, dates, binary) are left out: within
 * one loose key their spellings are one value to the server.
 */

/** The key columns' collations and character sets; `?, ?` are the database (null: the current one) and table. */
const KEY_COLLATIONS_SQL =
  'SELECT COLUMN_NAME AS `name`, CHARACTER_SET_NAME AS `charset`, COLLATION_NAME AS `collation` FROM information_schema.COLUMNS ' +
  'WHERE TABLE_SCHEMA = COALESCE(?, DATABASE()) AND TABLE_NAME = ? AND COLLATION_NAME IS NOT NULL';

/** A collated key column: its position in the row, character set and collation. */
interface CollatedKey {
  readonly index: number;
  readonly charset: string;
  readonly collation: string;
}

/** Character set and collation names are plain words; anything else is not interpolated. */
const NAME = /^\w+$/;

async function readCollatedKeys(query: MySqlQuery, schema: SQLSchema): Promise<CollatedKey[]> {
  const dot = schema.table.lastIndexOf('.');
  const params = dot < 0 ? [null, schema.table] : [schema.table.slice(0, dot), schema.table.slice(dot + 1)];
  const byName = new Map(resultRows(await query(KEY_COLLATIONS_SQL, params)).map((row) => [String(field(row, 'name', 0)).toLowerCase(), row]));
  const keyIndexes = keyIndexesOf(schema);
  return schema.keys.flatMap((key, i) => {
    const row = byName.get(key.toLowerCase());
    const charset = row && String(field(row, 'charset', 1));
    const collation = row && String(field(row, 'collation', 2));
    return charset && collation && NAME.test(charset) && NAME.test(collation) ? [{ index: keyIndexes[i] as number, charset, collation }] : [];
  });
}

/** `SELECT DENSE_RANK() OVER (ORDER BY k1, …) AS r, i FROM (SELECT 0 AS i, CONVERT(? USING cs) COLLATE c AS k1 UNION ALL …) t ORDER BY i`. */
function buildKeyRankQuery(keys: readonly CollatedKey[], rowCount: number): string {
  const cells = keys.map(({ charset, collation }) => `CONVERT(? USING ${charset}) COLLATE ${collation}`);
  const first = `SELECT 0 AS i, ${cells.map((cell, k) => `${cell} AS k${k + 1}`).join(', ')}`;
  const rest = Array.from({ length: rowCount - 1 }, (_, r) => ` UNION ALL SELECT ${r + 1}, ${cells.join(', ')}`).join('');
  const order = keys.map((_, k) => `k${k + 1}`).join(', ');
  return `SELECT DENSE_RANK() OVER (ORDER BY ${order}) AS r, i FROM (${first}${rest}) t ORDER BY i`;
}

/**
 * Ranks a batch's look-alike key spellings on the server, reading each table's key collations
 * once (forget a table when it may have changed).
 */
export class MySqlLookalikeKeyRanks {
  readonly #keys = new Map<string, readonly CollatedKey[]>();

  /** The ranks of `rows`' look-alike spellings, undefined when there are none or no key column has a collation. */
  async rank(query: MySqlQuery, schema: SQLSchema, rows: readonly (readonly Value[])[]): Promise<DatabaseKeyRanks | undefined> {
    const lookalikes = lookalikeRows(schema, rows);
    if (lookalikes.length === 0) return undefined;
    const keys = this.#keys.get(schema.table) ?? (await readCollatedKeys(query, schema));
    this.#keys.set(schema.table, keys);
    if (keys.length === 0) return undefined;
    const params = lookalikes.flatMap((row) => keys.map(({ index }) => row[index] ?? null));
    const ranks = resultRows(await query(buildKeyRankQuery(keys, lookalikes.length), params)).map((row) => Number(field(row, 'r', 0)));
    return new Map(lookalikes.map((row, i) => [row, ranks[i] ?? 0]));
  }

  /** Drops a table's cached key collations, to be read again on next use. */
  forget(table: string): void {
    this.#keys.delete(table);
  }
}
