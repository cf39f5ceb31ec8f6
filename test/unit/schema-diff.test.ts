import { describe, expect, it } from 'vitest';
import { compareSchema, formatSchemaDiffs, typeAccepts, type TableColumn, type TableShape } from '../../src/core/schema-diff.js';
import { SQLSchema } from '../../src/core/schema.js';
import { MYSQL_SCHEMA_RULES } from '../../src/drivers/mysql/introspect.js';
import { POSTGRES_SCHEMA_RULES } from '../../src/drivers/postgres/introspect.js';
import { sqliteAffinity, sqliteSchemaRules } from '../../src/drivers/sqlite/introspect.js';

const schema = SQLSchema('events', 'update', { id: 'int64', kind: 'string', at: 'timestamp', note: 'string?' });
const col = (name: string, type: string, nullable = false, hasDefault = false): TableColumn => ({ name, type, nullable, hasDefault });
const table = (columns: TableColumn[], uniqueIndexes: TableShape['uniqueIndexes'] = [{ name: 'events_pkey', primary: true, columns: ['id'] }]): TableShape => ({
  table: 'events',
  exists: true,
  columns,
  uniqueIndexes,
});
const matching = [col('id', 'int8'), col('kind', 'text'), col('at', 'timestamptz'), col('note', 'text', true)];

describe('compareSchema: a schema against its table, purely', () => {
  it('a matching table is ok, with neither problems nor notes', () => {
    const diff = compareSchema(schema, table(matching), POSTGRES_SCHEMA_RULES);
    expect(diff).toMatchObject({ schema: 'events', table: 'events', ok: true, problems: [], notes: [] });
    expect(formatSchemaDiffs([diff])).toBe('✓ events (table events): matches');
  });

  it('a NOT NULL table column under a non-nullable declaration, and extra nullable or defaulted columns, are fine', () => {
    const columns = [...matching.slice(0, 3), col('note', 'varchar'), col('extra', 'text', true), col('created', 'timestamptz', false, true)];
    expect(compareSchema(SQLSchema('events', 'update', { id: 'int64', kind: 'string', at: 'timestamp', note: 'string' }), table(columns), POSTGRES_SCHEMA_RULES).ok).toBe(true);
  });

  it('reports a missing table', () => {
    const diff = compareSchema(schema, { table: 'events', exists: false, columns: [], uniqueIndexes: [] }, POSTGRES_SCHEMA_RULES);
    expect(diff.ok).toBe(false);
    expect(diff.problems).toEqual([{ kind: 'missing-table', message: 'table events does not exist (set createTable: true to create it)' }]);
  });

  it('a missing nullable column is addable; a missing NOT NULL one says evolve cannot add it', () => {
    const diff = compareSchema(schema, table([col('id', 'int8'), col('at', 'timestamptz')]), POSTGRES_SCHEMA_RULES);
    expect(diff.problems.map((p) => [p.kind, p.column, p.addable ?? false])).toEqual([
      ['missing-column', 'kind', false],
      ['missing-column', 'note', true],
    ]);
    expect(diff.problems[0]?.message).toMatch(/kind is missing and is NOT NULL \(declared string\): evolve: 'add-columns' adds only nullable columns/);
  });

  it('reports a wrong type with what the dialect accepts', () => {
    const diff = compareSchema(schema, table([col('id', 'int4'), ...matching.slice(1)]), POSTGRES_SCHEMA_RULES);
    expect(diff.problems).toEqual([{ kind: 'type-mismatch', column: 'id', message: 'column id: declared int64, table has int4 (expected one of int8, numeric)' }]);
  });

  it('a nullable declaration on a NOT NULL column is a mismatch, except on a key', () => {
    const diff = compareSchema(schema, table([...matching.slice(0, 3), col('note', 'text', false)]), POSTGRES_SCHEMA_RULES);
    expect(diff.problems).toMatchObject([{ kind: 'nullable-mismatch', column: 'note' }]);
    const nullableKey = SQLSchema('events', 'update', { id: 'int64?', kind: 'string' });
    expect(compareSchema(nullableKey, table([col('id', 'int8'), col('kind', 'text')]), POSTGRES_SCHEMA_RULES).ok).toBe(true);
  });

  it('an extra NOT NULL column without a default would fail every insert', () => {
    const diff = compareSchema(schema, table([...matching, col('tenant', 'int4')]), POSTGRES_SCHEMA_RULES);
    expect(diff.problems).toMatchObject([{ kind: 'extra-not-null-column', column: 'tenant' }]);
  });

  it('keys must be exactly the primary key or a unique index; other unique indexes are notes', () => {
    const none = compareSchema(schema, table(matching, []), POSTGRES_SCHEMA_RULES);
    expect(none.problems).toEqual([
      { kind: 'keys-not-unique', message: 'keys (id) are neither the primary key nor a unique index (the table has none): the update conflict strategy needs one' },
    ]);
    const wider = compareSchema(schema, table(matching, [{ name: 'events_pkey', primary: true, columns: ['id', 'kind'] }]), POSTGRES_SCHEMA_RULES);
    expect(wider.problems.map((p) => p.kind)).toEqual(['keys-not-unique']);
    expect(wider.notes.map((n) => n.kind)).toEqual(['other-unique-index']);
    const unique = compareSchema(schema, table(matching, [{ name: 'pk', primary: true, columns: ['kind'] }, { name: 'events_id_key', primary: false, columns: ['id'] }]), POSTGRES_SCHEMA_RULES);
    expect(unique.ok).toBe(true);
    expect(unique.notes).toEqual([{ kind: 'other-unique-index', message: 'primary key (kind) is not the keys: a row that collides on it is a data error' }]);
  });

  it('MySQL and SQLite names compare case-insensitively, PostgreSQL names do not', () => {
    const upper = [col('ID', 'bigint(20)'), col('Kind', 'varchar(255)'), col('AT', 'datetime(3)'), col('note', 'text', true)];
    expect(compareSchema(schema, table(upper, [{ name: 'PRIMARY', primary: true, columns: ['ID'] }]), MYSQL_SCHEMA_RULES).ok).toBe(true);
    const pg = compareSchema(schema, table([col('ID', 'int8'), ...matching.slice(1)]), POSTGRES_SCHEMA_RULES);
    expect(pg.problems.map((p) => p.kind)).toEqual(['missing-column', 'extra-not-null-column']);
  });

  it('untyped schemas check names and keys only', () => {
    const seed = SQLSchema('events', 'ignore', ['id', 'kind']);
    expect(compareSchema(seed, table([col('id', 'whatever'), col('kind', 'int4', true)]), POSTGRES_SCHEMA_RULES).ok).toBe(true);
    expect(compareSchema(seed, table([col('id', 'int8')]), POSTGRES_SCHEMA_RULES).problems).toEqual([{ kind: 'missing-column', column: 'kind', message: 'column kind is missing' }]);
  });

  it('formats a readable diff per table', () => {
    const diff = compareSchema(schema, table([col('id', 'int4'), col('kind', 'text')], [{ name: 'events_pkey', primary: true, columns: ['id'] }, { name: 'kind_key', primary: false, columns: ['kind'] }]), POSTGRES_SCHEMA_RULES);
    expect(formatSchemaDiffs([diff])).toBe(
      [
        '✗ events (table events)',
        '  - column id: declared int64, table has int4 (expected one of int8, numeric)',
        "  - column at is missing and is NOT NULL (declared timestamp): evolve: 'add-columns' adds only nullable columns, so add it by hand (with a default for existing rows) or declare it timestamp?",
        "  - column note (string?) is missing; evolve: 'add-columns' would add it",
        '  · unique index kind_key (kind) is not the keys: a row that collides on it is a data error',
      ].join('\n'),
    );
  });
});

describe('type compatibility tables', () => {
  it('PostgreSQL', () => {
    expect(typeAccepts(POSTGRES_SCHEMA_RULES, 'int64', 'int8')).toBe(true);
    expect(typeAccepts(POSTGRES_SCHEMA_RULES, 'int32', 'int8')).toBe(true);
    expect(typeAccepts(POSTGRES_SCHEMA_RULES, 'int64', 'int4')).toBe(false);
    expect(typeAccepts(POSTGRES_SCHEMA_RULES, 'string', 'varchar')).toBe(true);
    expect(typeAccepts(POSTGRES_SCHEMA_RULES, 'timestamp', 'timestamp')).toBe(true);
    expect(typeAccepts(POSTGRES_SCHEMA_RULES, 'bytes', 'text')).toBe(false);
  });

  it('MySQL: parameters are dropped except where they matter (milliseconds, tinyint(1))', () => {
    expect(typeAccepts(MYSQL_SCHEMA_RULES, 'int64', 'bigint(20)')).toBe(true);
    expect(typeAccepts(MYSQL_SCHEMA_RULES, 'int64', 'bigint(20) unsigned')).toBe(false);
    expect(typeAccepts(MYSQL_SCHEMA_RULES, 'string', 'varchar(255)')).toBe(true);
    expect(typeAccepts(MYSQL_SCHEMA_RULES, 'timestamp', 'datetime(3)')).toBe(true);
    expect(typeAccepts(MYSQL_SCHEMA_RULES, 'timestamp', 'datetime')).toBe(false);
    expect(typeAccepts(MYSQL_SCHEMA_RULES, 'bool', 'tinyint(1)')).toBe(true);
    expect(typeAccepts(MYSQL_SCHEMA_RULES, 'bytes', 'varbinary(255)')).toBe(true);
  });

  it('SQLite: by affinity, timestamps follow timestampFormat', () => {
    expect(['INTEGER', 'BIGINT', 'VARCHAR(20)', 'BLOB', '', 'DOUBLE', 'DATETIME'].map(sqliteAffinity)).toEqual(['integer', 'integer', 'text', 'blob', 'any', 'real', 'numeric']);
    expect(typeAccepts(sqliteSchemaRules(), 'timestamp', 'text')).toBe(true);
    expect(typeAccepts(sqliteSchemaRules('epoch_ms'), 'timestamp', 'text')).toBe(false);
    expect(typeAccepts(sqliteSchemaRules('epoch_ms'), 'timestamp', 'integer')).toBe(true);
    expect(typeAccepts(sqliteSchemaRules(), 'int64', 'real')).toBe(false);
  });
});
