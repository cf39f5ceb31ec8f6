import { z } from 'zod';
import { CONFIG_DEFAULTS } from './config-defaults.js';

// Messages never echo the offending value: it may be a URL with a password or a token.
const positiveInt = z.number({ error: 'must be a positive integer' }).int({ error: 'must be a positive integer' }).positive({ error: 'must be a positive integer' });
const nonNegativeInt = z.number({ error: 'must be an integer ≥ 0' }).int({ error: 'must be an integer ≥ 0' }).min(0, { error: 'must be an integer ≥ 0' });
const nonEmpty = z.string({ error: 'must be a non-empty string' }).min(1, { error: 'must be a non-empty string' });
const identifier = z.string({ error: 'must be a string' }).regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, { error: 'must be an identifier (letters, digits, underscores; not starting with a digit)' });

function urlWithScheme(schemes: readonly string[]) {
  return nonEmpty.refine(
    (value) => {
      try {
        return schemes.includes(new URL(value).protocol.replace(/:$/, ''));
      } catch {
        return false;
      }
    },
    { error: `must be a URL starting with ${schemes.map((s) => `${s}://`).join(' or ')}` },
  );
}

const redisUrl = urlWithScheme(['redis', 'rediss']);

/** Batch tuning fields: all optional here; `defaults` fills them in. */
const tuningShape = {
  flushSize: positiveInt.optional(),
  flushIntervalMs: positiveInt.optional(),
  maxInFlightBatches: positiveInt.optional(),
  maxAttempts: positiveInt.optional(),
  retryBaseMs: positiveInt.optional(),
  retryMaxMs: positiveInt.optional(),
  batchTimeoutMs: positiveInt.optional(),
  shutdownTimeoutMs: positiveInt.optional(),
  breakerProbeBaseMs: positiveInt.optional(),
  breakerProbeMaxMs: positiveInt.optional(),
  lockDurationMs: positiveInt.optional(),
  stalledIntervalMs: positiveInt.optional(),
  queueDepthIntervalMs: nonNegativeInt.optional(),
  /** Jobs held at once; computed from flushSize × (maxInFlightBatches + 1) when absent. */
  concurrency: positiveInt.optional(),
};

// Sink fields mirror the driver options (url → connectionString); drivers apply their own defaults.
const postgresSink = z.strictObject({
  type: z.literal('postgres'),
  url: urlWithScheme(['postgres', 'postgresql']),
  poolSize: positiveInt.optional(),
  connectTimeoutMs: nonNegativeInt.optional(),
  statementTimeoutMs: positiveInt.optional(),
  lockTimeoutMs: positiveInt.optional(),
  maxRowsPerStatement: positiveInt.optional(),
});
const mysqlSink = z.strictObject({
  type: z.literal('mysql'),
  url: urlWithScheme(['mysql', 'mariadb']),
  poolSize: positiveInt.optional(),
  connectTimeoutMs: nonNegativeInt.optional(),
  maxRowsPerStatement: positiveInt.optional(),
  maxStatementBytes: positiveInt.optional(),
});
const sqliteSink = z.strictObject({
  type: z.literal('sqlite'),
  filename: nonEmpty,
  busyTimeoutMs: nonNegativeInt.optional(),
  timestampFormat: z.enum(['iso', 'epoch_ms'], { error: 'must be iso or epoch_ms' }).optional(),
  maxRowsPerStatement: positiveInt.optional(),
});
const redisSink = z.strictObject({
  type: z.literal('redis'),
  url: redisUrl,
  allowlist: z.array(nonEmpty).optional(),
  transaction: z.boolean({ error: 'must be true or false' }).optional(),
});

const sinkSchema = z.discriminatedUnion('type', [postgresSink, mysqlSink, sqliteSink, redisSink], {
  error: 'type must be one of postgres, mysql, sqlite, redis',
});

const columnType = z.enum(
  ['int32', 'int64', 'float64', 'string', 'bool', 'timestamp', 'bytes', 'int32?', 'int64?', 'float64?', 'string?', 'bool?', 'timestamp?', 'bytes?'],
  { error: 'must be a column type: int32, int64, float64, string, bool, timestamp or bytes, with a trailing ? when nullable' },
);

const schemaEntry = z
  .strictObject({
    name: identifier.optional(),
    sink: nonEmpty,
    table: nonEmpty.optional(),
    conflict: z.enum(['ignore', 'replace', 'update'], { error: 'must be ignore, replace or update' }).optional(),
    columns: z.union([z.array(identifier).min(1), z.record(identifier, columnType)], {
      error: 'must be a non-empty array of column names or an object of column name to type',
    }),
    keys: z.array(identifier).min(1, { error: 'must name at least one column' }).optional(),
    createTable: z.boolean({ error: 'must be true or false' }).optional(),
    ...tuningShape,
  })
  .superRefine((entry, ctx) => {
    if (entry.table === undefined) {
      if (entry.name === undefined) ctx.addIssue({ code: 'custom', path: ['name'], message: 'is required when there is no table' });
      for (const field of ['conflict', 'keys', 'createTable'] as const) {
        if (entry[field] !== undefined) ctx.addIssue({ code: 'custom', path: [field], message: 'applies only to SQL schemas (with a table)' });
      }
    } else if (entry.conflict === undefined) {
      ctx.addIssue({ code: 'custom', path: ['conflict'], message: 'is required for a SQL schema: ignore, replace or update' });
    }
    if (entry.createTable && Array.isArray(entry.columns)) {
      ctx.addIssue({ code: 'custom', path: ['createTable'], message: 'needs typed columns ({ "column": "type" }) to know the column types' });
    }
  });

/** Basic credentials (what a browser prompts for), a bearer token, or both: a request passes with either. */
const httpAuth = z
  .strictObject({
    username: nonEmpty.regex(/^[^:]*$/, { error: 'must not contain ":" (Basic auth cannot carry it)' }).optional(),
    password: nonEmpty.optional(),
    token: nonEmpty.min(16, { error: 'must be at least 16 characters' }).optional(),
  })
  .superRefine((auth, ctx) => {
    if ((auth.username === undefined) !== (auth.password === undefined)) {
      ctx.addIssue({ code: 'custom', path: [auth.username === undefined ? 'username' : 'password'], message: 'is required: username and password go together' });
    } else if (auth.username === undefined && auth.token === undefined) {
      ctx.addIssue({ code: 'custom', path: [], message: 'give { "username", "password" }, { "token" }, or both' });
    }
  });

/** The config file, as zod validates it (env overrides are already merged in). */
export const configFileSchema = z
  .strictObject({
    redisUrl: redisUrl.default(CONFIG_DEFAULTS.redisUrl),
    prefix: z
      .string({ error: 'must be a string' })
      .regex(/^[^:\s]+$/, { error: 'must be non-empty, without ":" or spaces' })
      .default(CONFIG_DEFAULTS.prefix),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { error: 'must be fatal, error, warn, info, debug, trace or silent' }).default(CONFIG_DEFAULTS.logLevel),
    http: z
      .strictObject({
        enabled: z.boolean({ error: 'must be true or false' }).default(CONFIG_DEFAULTS.http.enabled),
        host: nonEmpty.default(CONFIG_DEFAULTS.http.host),
        port: z.number({ error: 'must be a port number 0-65535' }).int({ error: 'must be a port number 0-65535' }).min(0, { error: 'must be a port number 0-65535' }).max(65535, { error: 'must be a port number 0-65535' }).default(CONFIG_DEFAULTS.http.port),
        auth: httpAuth.optional(),
        readOnly: z.boolean({ error: 'must be true or false' }).default(CONFIG_DEFAULTS.http.readOnly),
        ingest: z.boolean({ error: 'must be true or false' }).default(CONFIG_DEFAULTS.http.ingest),
        ingestToken: nonEmpty.min(16, { error: 'must be at least 16 characters' }).optional(),
      })
      .prefault({}),
    sinks: z.record(identifier, sinkSchema).default({}),
    defaults: z.strictObject(tuningShape).prefault({}),
    schemas: z.array(schemaEntry).min(1, { error: 'must hold at least one schema' }),
  });

/** A parsed config file. */
export type ConfigFile = z.infer<typeof configFileSchema>;
/** One `sinks` entry. */
export type SinkConfig = z.infer<typeof sinkSchema>;
/** One `schemas` entry, as written. */
export type SchemaEntry = z.infer<typeof schemaEntry>;
/** HTTP credentials. */
export type HttpAuth = z.infer<typeof httpAuth>;
