import type { SQLSchema } from '../../core/schema.js';
import { nonKeyColumns, quoteIdentifier } from '../sql/quote.js';
import { newerThanStored } from '../sql/version-guard.js';

const Q = '`';

/**
 * The `ON DUPLICATE KEY UPDATE` list of a versioned schema: every non-key column becomes
 * `c = IF(newer, VALUES(c), c)`, where `newer` compares the incoming version with the stored one.
 * MySQL has no `WHERE` on this clause, so the guard goes into each assignment.
 *
 * The version column is assigned **last**: MySQL evaluates the assignments left to right and each
 * one sees the columns already assigned, so a version assigned first would make every later
 * `newer` compare the new version with itself (false) and keep the old values. With MariaDB's
 * `SIMULTANEOUS_ASSIGNMENT` mode every assignment sees the old row, which this order also suits.
 */
export function mySqlVersionedUpdateList(schema: SQLSchema, version: NonNullable<SQLSchema['version']>): string {
  const v = quoteIdentifier(version.column, Q);
  const newer = newerThanStored(v, `VALUES(${v})`);
  const columns = [...nonKeyColumns(schema.columns, schema.keys).filter((column) => column !== version.column), version.column];
  return columns
    .map((column) => {
      const c = quoteIdentifier(column, Q);
      return `${c} = IF(${newer}, VALUES(${c}), ${c})`;
    })
    .join(', ');
}

/**
 * ` WHERE …` for the key-only merge's `UPDATE t JOIN (…) AS v … SET …`: a multi-table `UPDATE`
 * does not promise any order of assignment, so the guard filters rows instead of guarding
 * columns. `incoming` is the derived table's column holding the version. Empty without a version column.
 */
export function mySqlKeyedUpdateWhere(schema: SQLSchema, incoming: string): string {
  if (!schema.version) return '';
  return ` WHERE ${newerThanStored(`t.${quoteIdentifier(schema.version.column, Q)}`, incoming)}`;
}
