import { z } from 'zod';
import { nonNegativeInt, positiveInt, urlWithScheme } from '../config-fields.js';
import { redactSecrets } from '../redact-secrets.js';
import { loadClient } from '../load-client.js';
import { defineSink } from '../sink-definition.js';
import { buildAddColumn } from '../sql/add-column.js';
import { buildCreateTable, type DdlColumnTypes } from '../sql/create-table.js';
import { classifyMySqlError } from './error-codes.js';
import { buildMySqlTombstoneDdl } from './tombstones.js';
import { keepsTombstones } from '../sql/tombstone-keeper.js';
import { MYSQL_SCHEMA_RULES, readMySqlTable } from './introspect.js';

/** A `sinks.<name>` entry of type `mysql` (MySQL or MariaDB): the {@link MySqlDriverOptions} with `url` for `connectionString`. */
export const mysqlSinkConfig = z.strictObject({
  type: z.literal('mysql'),
  url: urlWithScheme(['mysql', 'mariadb']),
  poolSize: positiveInt.optional(),
  connectTimeoutMs: nonNegativeInt.optional(),
  maxRowsPerStatement: positiveInt.optional(),
  maxStatementBytes: positiveInt.optional(),
});
/** A validated `mysql` sink entry. */
export type MySqlSinkConfig = z.infer<typeof mysqlSinkConfig>;

/**
 * MySQL/MariaDB column types for `CREATE TABLE`. Key columns cannot be TEXT/BLOB, so they get
 * VARCHAR/VARBINARY(255). DATETIME(3): the driver writes UTC with millisecond precision, which
 * is what survives the queue.
 */
export const MYSQL_DDL_TYPES: DdlColumnTypes = Object.freeze({
  int32: 'INT', int64: 'BIGINT', float64: 'DOUBLE', string: 'TEXT', bool: 'BOOLEAN', timestamp: 'DATETIME(3)', bytes: 'LONGBLOB', keyString: 'VARCHAR(255)', keyBytes: 'VARBINARY(255)',
});

const loadMysql = () => loadClient('mysql2', 'the mysql sink', () => import('mysql2/promise'));

/** The MySQL/MariaDB sink (`mysql2`): the `mysql` type of the worker config. */
export const mysqlSink = defineSink<MySqlSinkConfig>({
  type: 'mysql',
  title: 'MySQL / MariaDB',
  schemas: 'table',
  clientPackages: ['mysql2'],
  config: mysqlSinkConfig,
  describe: (config) => redactSecrets(config.url),
  async createExecutor({ type: _type, url, ...options }) {
    await loadMysql();
    const { MySqlDriver } = await import('./mysql-driver.js');
    return new MySqlDriver({ connectionString: url, ...options });
  },
  classifyError: classifyMySqlError,
  tables: {
    tombstoneTableSql: (schema) => (keepsTombstones(schema) ? [buildMySqlTombstoneDdl(schema)] : []),
    createTableSql: (schema) => buildCreateTable(schema, '`', MYSQL_DDL_TYPES),
    async createTables(config, statements) {
      const { default: mysql } = await loadMysql();
      const connection = await mysql.createConnection({ uri: config.url, ...(config.connectTimeoutMs !== undefined && { connectTimeout: config.connectTimeoutMs }) });
      try {
        for (const sql of statements) await connection.query(sql);
      } finally {
        await connection.end();
      }
    },
  },
  introspect: {
    rules: () => MYSQL_SCHEMA_RULES,
    async readTables(config, tables) {
      const { default: mysql } = await loadMysql();
      const connection = await mysql.createConnection({ uri: config.url, ...(config.connectTimeoutMs !== undefined && { connectTimeout: config.connectTimeoutMs }) });
      try {
        const shapes = [];
        for (const table of tables) shapes.push(await readMySqlTable((sql, params) => connection.query(sql, params as unknown[]), table));
        return shapes;
      } finally {
        await connection.end();
      }
    },
    // Key columns are never added (they are NOT NULL), so TEXT/BLOB is right here.
    addColumnSql: (schema, column) => buildAddColumn(schema, column, '`', MYSQL_DDL_TYPES),
  },
});
