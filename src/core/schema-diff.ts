import type { BaseColumnType } from './column-type.js';
import { stampedVersion } from './row-version.js';
import type { SQLSchema } from './schema.js';
import type { SchemaDiff, SchemaNote, SchemaProblem } from '../errors/schema-diff-report.js';

// The report types and their formatting belong to SchemaDriftError (errors/ imports nothing of
// ours), and are re-exported here for the core's comparison below.
export type { SchemaDiff, SchemaNote, SchemaProblem, SchemaProblemKind } from '../errors/schema-diff-report.js';
export { formatSchemaDiffs } from '../errors/schema-diff-report.js';


/** One column of a table as its database reports it (read by the driver's introspection). */
export interface TableColumn {
  readonly name: string;
  /**
   * The type used for matching, lower-case, as the driver normalizes it (PostgreSQL's
   * `udt_name` such as `int8`, MySQL's `COLUMN_TYPE` such as `varchar(255)`, SQLite's affinity).
   */
  readonly type: string;
  /** The type as declared in the database, for messages (e.g. `character varying(40)`). @defaultValue `type` */
  readonly declaredType?: string;
  readonly nullable: boolean;
  /** True when an `INSERT` without this column still succeeds: a default, identity, generated or rowid column. */
  readonly hasDefault: boolean;
}

/** A unique index (or the primary key) of a table. */
export interface TableUniqueIndex {
  readonly name: string;
  readonly columns: readonly string[];
  readonly primary: boolean;
}

/** What introspection found for one table; `exists: false` with no columns when it is missing. */
export interface TableShape {
  readonly table: string;
  readonly exists: boolean;
  readonly columns: readonly TableColumn[];
  /** The primary key and every usable unique index (no partial or expression ones). */
  readonly uniqueIndexes: readonly TableUniqueIndex[];
}

/**
 * How one dialect's column types satisfy the declared ones: per declared base type, the table
 * types that can store every value of it. An entry with a `(` (e.g. `datetime(3)`) must equal
 * the table's type; one without (e.g. `varchar`) matches the type's name with any
 * parameters dropped (`varchar(255)` → `varchar`).
 */
export interface DialectSchemaRules {
  readonly types: Readonly<Record<BaseColumnType, readonly string[]>>;
  /** Column names compare case-insensitively (MySQL, SQLite); PostgreSQL's quoted names do not. */
  readonly caseInsensitiveNames: boolean;
}

/** A table type without its parameters: `varchar(255)` → `varchar`, `bigint(20) unsigned` → `bigint unsigned`. */
function typeName(type: string): string {
  return type.replace(/\s*\([^)]*\)/g, '').replace(/\s+/g, ' ').trim();
}

/** Whether a table type can hold every value of the declared base type, by the dialect's table. */
export function typeAccepts(rules: DialectSchemaRules, base: BaseColumnType, tableType: string): boolean {
  const type = tableType.toLowerCase().replace(/\s+/g, ' ').trim();
  return rules.types[base].some((entry) => (entry.includes('(') ? entry === type : entry === typeName(type)));
}

/**
 * Compares a SQL schema with its table as introspected, purely: which columns are missing,
 * which declared types the table's types cannot hold, nullable columns the table declares NOT
 * NULL, table columns the inserts would leave empty though NOT NULL without a default, and
 * whether the keys match the primary key or a unique index exactly (the conflict strategy needs
 * that; `insert` needs no key). Other unique indexes are reported as notes. Untyped (seed-style) schemas check names
 * and keys only.
 *
 * Key columns are exempt from the nullable check: `CREATE TABLE` makes them NOT NULL whatever
 * their declaration, as every primary key is. So is a version column the producer stamps.
 *
 * @example
 * ```ts
 * const diff = compareSchema(schema, await readShape('events'), POSTGRES_SCHEMA_RULES);
 * if (!diff.ok) console.error(formatSchemaDiffs([diff]));
 * ```
 */
export function compareSchema(schema: SQLSchema, shape: TableShape, rules: DialectSchemaRules): SchemaDiff {
  const fold = (name: string) => (rules.caseInsensitiveNames ? name.toLowerCase() : name);
  const problems: SchemaProblem[] = [];
  const notes: SchemaNote[] = [];
  const result = () => Object.freeze({ schema: schema.name, table: schema.table, ok: problems.length === 0, problems, notes });
  if (!shape.exists) {
    problems.push({ kind: 'missing-table', message: `table ${schema.table} does not exist (set createTable: true to create it)` });
    return result();
  }
  const columns = new Map(shape.columns.map((column) => [fold(column.name), column]));
  const keys = new Set(schema.keys.map(fold));
  schema.columns.forEach((name, i) => {
    const declared = schema.types?.[i];
    const found = columns.get(fold(name));
    const isKey = keys.has(fold(name));
    if (!found) {
      if (!declared) {
        problems.push({ kind: 'missing-column', column: name, message: `column ${name} is missing` });
      } else if (declared.nullable && !isKey) {
        problems.push({ kind: 'missing-column', column: name, addable: true, message: `column ${name} (${declared.base}?) is missing; evolve: 'add-columns' would add it` });
      } else {
        const why = isKey ? 'a key column' : `NOT NULL (declared ${declared.base})`;
        problems.push({ kind: 'missing-column', column: name, message: `column ${name} is missing and is ${why}: evolve: 'add-columns' adds only nullable columns, so add it by hand (with a default for existing rows) or declare it ${declared.base}?` });
      }
      return;
    }
    if (!declared) return;
    const shown = found.declaredType ?? found.type;
    if (!typeAccepts(rules, declared.base, found.type)) {
      problems.push({ kind: 'type-mismatch', column: name, message: `column ${name}: declared ${declared.base}, table has ${shown} (expected one of ${rules.types[declared.base].join(', ')})` });
    }
    // The producer always stamps its version column, so the table may well declare it NOT NULL.
    if (declared.nullable && !found.nullable && !isKey && i !== stampedVersion(schema)?.index) {
      problems.push({ kind: 'nullable-mismatch', column: name, message: `column ${name}: declared nullable (${declared.base}?), table has NOT NULL: a null value would fail` });
    }
  });
  const declared = new Set(schema.columns.map(fold));
  for (const column of shape.columns) {
    if (!declared.has(fold(column.name)) && !column.nullable && !column.hasDefault) {
      problems.push({ kind: 'extra-not-null-column', column: column.name, message: `table column ${column.name} is NOT NULL without a default, but not in the schema: every insert would fail` });
    }
  }
  const sameAsKeys = (index: TableUniqueIndex) => index.columns.length === keys.size && index.columns.every((column) => keys.has(fold(column)));
  if (schema.conflict !== 'insert' && !shape.uniqueIndexes.some(sameAsKeys)) {
    problems.push({ kind: 'keys-not-unique', message: `keys (${schema.keys.join(', ')}) are neither the primary key nor a unique index${describeIndexes(shape.uniqueIndexes)}: the ${schema.conflict} conflict strategy needs one` });
  }
  for (const index of shape.uniqueIndexes) {
    if (!sameAsKeys(index)) notes.push({ kind: 'other-unique-index', message: `${index.primary ? 'primary key' : `unique index ${index.name}`} (${index.columns.join(', ')}) is not the keys: a row that collides on it is a data error` });
  }
  return result();
}

function describeIndexes(indexes: readonly TableUniqueIndex[]): string {
  if (indexes.length === 0) return ' (the table has none)';
  return ` (the table has ${indexes.map((index) => `${index.primary ? 'primary key' : index.name} (${index.columns.join(', ')})`).join('; ')})`;
}

/** A diff with one more note, e.g. that `evolve` added a column. */
export function withNotes(diff: SchemaDiff, notes: readonly SchemaNote[]): SchemaDiff {
  return Object.freeze({ ...diff, notes: [...notes, ...diff.notes] });
}
