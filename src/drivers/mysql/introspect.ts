import type { DialectSchemaRules, TableShape } from '../../core/schema-diff.js';
import { field, readUniqueIndexes, resultRows, type MySqlQuery } from './unique-indexes.js';

/**
 * Which MySQL/MariaDB types (`COLUMN_TYPE`, lower-case) hold each declared type. Timestamps
 * need fractional seconds (`datetime(3)`): a plain `datetime` would drop the milliseconds.
 * `timestamp(n)` is as exact as `datetime(n)` because the driver's sessions run in UTC (see
 * `MYSQL_SESSION_SETUP_SQL`), but holds only 1970–2038. A `string` also goes into `decimal`
 * (an exact decimal given as a string), `enum`, `set`, `json` and MariaDB's `uuid`: a value they
 * reject fails as bad data in strict mode.
 */
export const MYSQL_SCHEMA_RULES: DialectSchemaRules = Object.freeze({
  caseInsensitiveNames: true,
  types: Object.freeze({
    int32: ['int', 'integer', 'bigint'],
    int64: ['bigint'],
    float64: ['double', 'double precision'],
    string: ['text', 'tinytext', 'mediumtext', 'longtext', 'varchar', 'char', 'decimal', 'enum', 'set', 'json', 'uuid'],
    bool: ['tinyint(1)', 'tinyint', 'boolean', 'bool'],
    timestamp: ['datetime(3)', 'datetime(4)', 'datetime(5)', 'datetime(6)', 'timestamp(3)', 'timestamp(4)', 'timestamp(5)', 'timestamp(6)'],
    bytes: ['blob', 'tinyblob', 'mediumblob', 'longblob', 'varbinary', 'binary'],
  }),
});

const COLUMNS_SQL =
  'SELECT COLUMN_NAME AS `name`, LOWER(COLUMN_TYPE) AS `type`, IS_NULLABLE AS `nullable`, COLUMN_DEFAULT AS `dflt`, EXTRA AS `extra` ' +
  'FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = COALESCE(?, DATABASE()) AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION';

/** Reads one table's columns and unique indexes (PRIMARY included) from `information_schema`; `db.table` names another database. */
export async function readMySqlTable(query: MySqlQuery, table: string): Promise<TableShape> {
  const dot = table.lastIndexOf('.');
  const params = dot < 0 ? [null, table] : [table.slice(0, dot), table.slice(dot + 1)];
  const columns = resultRows(await query(COLUMNS_SQL, params)).map((row) => ({
    name: String(field(row, 'name', 0)),
    type: String(field(row, 'type', 1)),
    nullable: field(row, 'nullable', 2) === 'YES',
    // MariaDB reports a nullable column without a default as the text NULL, MySQL as NULL.
    hasDefault: field(row, 'dflt', 3) !== null || /auto_increment|generated/i.test(String(field(row, 'extra', 4) ?? '')),
  }));
  if (columns.length === 0) return { table, exists: false, columns: [], uniqueIndexes: [] };
  const indexes = await readUniqueIndexes(query, table);
  const uniqueIndexes = [...indexes].map(([name, indexColumns]) => ({ name, columns: indexColumns, primary: name === 'PRIMARY' }));
  return { table, exists: true, columns, uniqueIndexes };
}
