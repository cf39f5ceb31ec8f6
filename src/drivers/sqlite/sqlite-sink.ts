import { existsSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { nonEmpty, nonNegativeInt, positiveInt } from '../config-fields.js';
import { loadClient } from '../load-client.js';
import { defineSink } from '../sink-definition.js';
import { buildAddColumn } from '../sql/add-column.js';
import { buildCreateTable, type DdlColumnTypes } from '../sql/create-table.js';
import { classifySqliteError } from './error-codes.js';
import { buildSqliteTombstoneDdl } from './tombstones.js';
import { keepsTombstones } from '../sql/tombstone-keeper.js';
import { readSqliteTable, sqliteSchemaRules } from './introspect.js';

/** A `sinks.<name>` entry of type `sqlite`: the {@link SqliteDriverOptions} with `filename`. */
export const sqliteSinkConfig = z.strictObject({
  type: z.literal('sqlite'),
  filename: nonEmpty,
  busyTimeoutMs: nonNegativeInt.optional(),
  timestampFormat: z.enum(['iso', 'epoch_ms'], { error: 'must be iso or epoch_ms' }).optional(),
  maxRowsPerStatement: positiveInt.optional(),
});
/** A validated `sqlite` sink entry. */
export type SqliteSinkConfig = z.infer<typeof sqliteSinkConfig>;

/** SQLite column types for `CREATE TABLE`; timestamps are ISO-8601 text by default (INTEGER with `timestampFormat: 'epoch_ms'`). */
export const SQLITE_DDL_TYPES: DdlColumnTypes = Object.freeze({
  int32: 'INTEGER', int64: 'INTEGER', float64: 'REAL', string: 'TEXT', bool: 'INTEGER', timestamp: 'TEXT', bytes: 'BLOB',
});
const SQLITE_EPOCH_MS_TYPES: DdlColumnTypes = Object.freeze({ ...SQLITE_DDL_TYPES, timestamp: 'INTEGER' });

const loadSqlite = () => loadClient('better-sqlite3', 'the sqlite sink', () => import('better-sqlite3'));

/** A SQLite file's directory is created if missing, so the demo's `./data/batchflow.sqlite` works in an empty working directory. */
function ensureDirectory(filename: string): void {
  if (filename !== ':memory:') mkdirSync(dirname(resolve(filename)), { recursive: true });
}

/** The SQLite sink (`better-sqlite3`): the `sqlite` type of the worker config, and the built-in demo's sink. */
export const sqliteSink = defineSink<SqliteSinkConfig>({
  type: 'sqlite',
  title: 'SQLite',
  schemas: 'table',
  clientPackages: ['better-sqlite3'],
  config: sqliteSinkConfig,
  describe: (config) => `sqlite:${config.filename}`,
  async createExecutor({ type: _type, ...options }) {
    await loadSqlite();
    ensureDirectory(options.filename);
    const { SqliteDriver } = await import('./sqlite-driver.js');
    return new SqliteDriver(options);
  },
  classifyError: classifySqliteError,
  tables: {
    tombstoneTableSql: (schema) => (keepsTombstones(schema) ? buildSqliteTombstoneDdl(schema) : []),
    createTableSql: (schema, config) => buildCreateTable(schema, '"', config.timestampFormat === 'epoch_ms' ? SQLITE_EPOCH_MS_TYPES : SQLITE_DDL_TYPES),
    async createTables(config, statements) {
      const { default: Database } = await loadSqlite();
      ensureDirectory(config.filename);
      const db = new Database(config.filename, { timeout: config.busyTimeoutMs ?? 5000 });
      try {
        for (const sql of statements) db.exec(sql);
      } finally {
        db.close();
      }
    },
  },
  introspect: {
    rules: (config) => sqliteSchemaRules(config.timestampFormat),
    async readTables(config, tables) {
      const { default: Database } = await loadSqlite();
      // A missing file is a missing table, not a new empty file next to the config.
      if (config.filename !== ':memory:' && !existsSync(config.filename)) return tables.map((table) => ({ table, exists: false, columns: [], uniqueIndexes: [] }));
      const db = new Database(config.filename, { readonly: config.filename !== ':memory:', timeout: config.busyTimeoutMs ?? 5000 });
      try {
        return tables.map((table) => readSqliteTable((sql) => db.prepare(sql).all() as Record<string, unknown>[], table));
      } finally {
        db.close();
      }
    },
    addColumnSql: (schema, column, config) => buildAddColumn(schema, column, '"', config.timestampFormat === 'epoch_ms' ? SQLITE_EPOCH_MS_TYPES : SQLITE_DDL_TYPES),
  },
});
