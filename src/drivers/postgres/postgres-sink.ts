import { z } from 'zod';
import { nonNegativeInt, positiveInt, urlWithScheme } from '../config-fields.js';
import { redactSecrets } from '../redact-secrets.js';
import { loadClient } from '../load-client.js';
import { defineSink } from '../sink-definition.js';
import { buildAddColumn } from '../sql/add-column.js';
import { buildCreateTable, type DdlColumnTypes } from '../sql/create-table.js';
import { classifyPostgresError } from './error-codes.js';
import { buildPostgresTombstoneSetup } from './tombstones.js';
import { keepsTombstones } from '../sql/tombstone-keeper.js';
import { POSTGRES_SCHEMA_RULES, readPostgresTable } from './introspect.js';

/** A `sinks.<name>` entry of type `postgres`: the {@link PostgresDriverOptions} with `url` for `connectionString`. */
export const postgresSinkConfig = z.strictObject({
  type: z.literal('postgres'),
  url: urlWithScheme(['postgres', 'postgresql']),
  poolSize: positiveInt.optional(),
  connectTimeoutMs: nonNegativeInt.optional(),
  statementTimeoutMs: positiveInt.optional(),
  lockTimeoutMs: positiveInt.optional(),
  maxRowsPerStatement: positiveInt.optional(),
});
/** A validated `postgres` sink entry. */
export type PostgresSinkConfig = z.infer<typeof postgresSinkConfig>;

/** PostgreSQL column types for `CREATE TABLE`. */
export const POSTGRES_DDL_TYPES: DdlColumnTypes = Object.freeze({
  int32: 'integer', int64: 'bigint', float64: 'double precision', string: 'text', bool: 'boolean', timestamp: 'timestamptz', bytes: 'bytea',
});

const NEEDED = 'the postgres sink';
const loadPg = () => loadClient('pg', NEEDED, () => import('pg'));

/** The PostgreSQL sink (node-postgres, `pg`): the `postgres` type of the worker config. */
export const postgresSink = defineSink<PostgresSinkConfig>({
  type: 'postgres',
  title: 'PostgreSQL',
  schemas: 'table',
  clientPackages: ['pg'],
  config: postgresSinkConfig,
  describe: (config) => redactSecrets(config.url),
  async createExecutor({ type: _type, url, ...options }) {
    await loadPg(); // fail at start, naming the package, rather than at the first batch
    const { PostgresDriver } = await import('./postgres-driver.js');
    return new PostgresDriver({ connectionString: url, ...options });
  },
  classifyError: classifyPostgresError,
  tables: {
    tombstoneTableSql: (schema) => (keepsTombstones(schema) ? [buildPostgresTombstoneSetup(schema)] : []),
    createTableSql: (schema) => buildCreateTable(schema, '"', POSTGRES_DDL_TYPES),
    async createTables(config, statements) {
      const { default: pg } = await loadPg();
      const client = new pg.Client({ connectionString: config.url, connectionTimeoutMillis: config.connectTimeoutMs ?? 10_000 });
      await client.connect();
      try {
        for (const sql of statements) await client.query(sql);
      } finally {
        await client.end();
      }
    },
  },
  introspect: {
    rules: () => POSTGRES_SCHEMA_RULES,
    async readTables(config, tables) {
      const { default: pg } = await loadPg();
      const client = new pg.Client({ connectionString: config.url, connectionTimeoutMillis: config.connectTimeoutMs ?? 10_000 });
      await client.connect();
      try {
        const query = async (sql: string, values: unknown[]) => (await client.query(sql, values)).rows as Record<string, unknown>[];
        const shapes = [];
        for (const table of tables) shapes.push(await readPostgresTable(query, table));
        return shapes;
      } finally {
        await client.end();
      }
    },
    addColumnSql: (schema, column) => buildAddColumn(schema, column, '"', POSTGRES_DDL_TYPES),
  },
});
