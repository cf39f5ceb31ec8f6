import type { DialectSchemaRules, TableShape } from '../../core/schema-diff.js';
import { quoteTableName } from '../sql/quote.js';

/** Runs one statement with bound values and resolves to its rows (a `pg` client's `query(…).rows`). */
export type PostgresRowsQuery = (sql: string, values: unknown[]) => Promise<Record<string, unknown>[]>;

/**
 * Which PostgreSQL types (`pg_type.typname`, a domain's base type; `enum` for any enum type) hold
 * each declared type. The driver casts each parameter to the column's own type, so a `string`
 * goes into any type with a text input: `uuid`, `json`/`jsonb`, `citext`, `numeric` (an exact
 * decimal given as a string) and enums, where a value the type rejects fails as bad data.
 */
export const POSTGRES_SCHEMA_RULES: DialectSchemaRules = Object.freeze({
  caseInsensitiveNames: false,
  types: Object.freeze({
    int32: ['int4', 'int8', 'numeric'],
    int64: ['int8', 'numeric'],
    float64: ['float8', 'numeric'],
    string: ['text', 'varchar', 'bpchar', 'citext', 'uuid', 'json', 'jsonb', 'numeric', 'enum'],
    bool: ['bool'],
    timestamp: ['timestamptz', 'timestamp'],
    bytes: ['bytea'],
  }),
});

const COLUMNS_SQL =
  "SELECT a.attname AS name, CASE WHEN COALESCE(b.typtype, t.typtype) = 'e' THEN 'enum' ELSE COALESCE(b.typname, t.typname) END AS type, format_type(a.atttypid, a.atttypmod) AS declared, " +
  "NOT a.attnotnull AS nullable, (a.atthasdef OR a.attidentity <> '' OR a.attgenerated <> '') AS has_default " +
  'FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid = a.atttypid ' +
  "LEFT JOIN pg_catalog.pg_type b ON t.typtype = 'd' AND b.oid = t.typbasetype " +
  'WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum';

// Partial and expression indexes cannot serve `ON CONFLICT (keys)`, so they are left out.
const UNIQUE_INDEXES_SQL =
  'SELECT i.relname AS name, x.indisprimary AS "primary", ARRAY(SELECT a.attname::text FROM unnest(x.indkey::int2[]) WITH ORDINALITY k(attnum, ord) ' +
  'JOIN pg_catalog.pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum ORDER BY k.ord) AS columns ' +
  'FROM pg_catalog.pg_index x JOIN pg_catalog.pg_class i ON i.oid = x.indexrelid ' +
  'WHERE x.indrelid = to_regclass($1) AND x.indisunique AND x.indisvalid AND x.indpred IS NULL AND x.indexprs IS NULL ORDER BY x.indisprimary DESC, i.relname';

/** Reads one table's columns and unique indexes from the catalog; `app.events` names a schema. */
export async function readPostgresTable(query: PostgresRowsQuery, table: string): Promise<TableShape> {
  const quoted = quoteTableName(table, '"');
  const [found] = await query('SELECT to_regclass($1) IS NOT NULL AS "exists"', [quoted]);
  if (!found?.exists) return { table, exists: false, columns: [], uniqueIndexes: [] };
  const columns = (await query(COLUMNS_SQL, [quoted])).map((row) => ({
    name: String(row.name),
    type: String(row.type),
    declaredType: String(row.declared),
    nullable: row.nullable === true,
    hasDefault: row.has_default === true,
  }));
  const uniqueIndexes = (await query(UNIQUE_INDEXES_SQL, [quoted])).map((row) => ({
    name: String(row.name),
    primary: row.primary === true,
    columns: (row.columns as unknown[]).map(String),
  }));
  return { table, exists: true, columns, uniqueIndexes };
}
