import { z } from 'zod';
import { findSink, sinkTypes } from '../../src/drivers/registry.js';
import type { SinkConfig } from '../../src/drivers/sink-definition.js';
import { bool, identifier, nonEmpty, nonNegativeInt, positiveInt, redisClusterNode, redisUrl, urlWithScheme } from '../../src/drivers/config-fields.js';
import { CONFIG_DEFAULTS } from './config-defaults.js';
import { MAX_PARTITIONS } from '../../src/core/schema.js';
import { httpAuthIssues, tokenIssue, type HttpAuth } from './http-auth-rules.js';
import { BATCH_CONSUMER_TUNING, type BatchConsumerTuning, type BatchConsumerTuningField, type NumericOptionKind } from '../../src/queue/consumer/index.js';

const NUMERIC: Readonly<Record<NumericOptionKind, z.ZodType<number | 'auto'>>> = Object.freeze({
  positive: positiveInt,
  positiveOrAuto: z.union([positiveInt, z.literal('auto')], { error: 'must be a positive integer or "auto"' }),
  nonNegative: nonNegativeInt,
  ratio: z.number({ error: 'must be a number in (0, 1]' }).gt(0, { error: 'must be a number in (0, 1]' }).max(1, { error: 'must be a number in (0, 1]' }),
});

/**
 * Batch tuning fields, all optional here (`defaults` fills them in), derived from
 * `BATCH_CONSUMER_TUNING`: a new consumer option is accepted by the config file without an edit here.
 */
const tuningShape = {
  ...(Object.fromEntries(Object.entries(BATCH_CONSUMER_TUNING).map(([field, kind]) => [field, NUMERIC[kind].optional()])) as {
    [F in BatchConsumerTuningField]: z.ZodOptional<z.ZodType<BatchConsumerTuning[F]>>;
  }),
  /** Jobs held at once; computed from flushSize × (maxInFlightBatches + 1) when absent. */
  concurrency: positiveInt.optional(),
};

/**
 * One `sinks.<name>` entry: its `type` picks a definition from the sink registry
 * (src/drivers/registry.ts), whose own zod shape then checks the rest. Looked up at parse time,
 * so a sink registered with `registerSink` is accepted like a built-in one.
 */
const sinkSchema = z.unknown().transform((value, ctx): SinkConfig => {
  const type = value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as { type?: unknown }).type : undefined;
  const definition = typeof type === 'string' ? findSink(type) : undefined;
  if (!definition) {
    const message = `must be one of ${sinkTypes().join(', ')}`;
    ctx.addIssue(value === null || typeof value !== 'object' || Array.isArray(value) ? { code: 'custom', message: 'must be an object with a type' } : { code: 'custom', path: ['type'], message, input: type });
    return z.NEVER;
  }
  const parsed = definition.config.safeParse(value, { reportInput: true });
  if (!parsed.success) {
    for (const issue of parsed.error.issues) ctx.addIssue({ ...issue } as Parameters<typeof ctx.addIssue>[0]);
    return z.NEVER;
  }
  return parsed.data as SinkConfig;
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
    conflict: z.enum(['ignore', 'replace', 'update', 'insert'], { error: 'must be ignore, replace, update or insert' }).optional(),
    columns: z.union([z.array(identifier).min(1), z.record(identifier, columnType)], {
      error: 'must be a non-empty array of column names or an object of column name to type',
    }),
    keys: z.array(identifier).min(1, { error: 'must name at least one column' }).optional(),
    createTable: bool.optional(),
    evolve: z.enum(['none', 'add-columns'], { error: "must be 'none' or 'add-columns'" }).optional(),
    /** Queues the schema is spread over (docs/guides/partitions-and-cluster.md); absent is 1. */
    partitions: positiveInt.max(MAX_PARTITIONS, { error: `must be an integer from 1 to ${MAX_PARTITIONS}` }).optional(),
    /** Routing columns: of a SQL schema, some of its `keys` (any columns with `insert`); absent is the keys, or a non-SQL schema's first column. */
    partitionBy: z.array(identifier).min(1, { error: 'must name at least one column' }).optional(),
    versionColumn: identifier.optional(),
    versionSource: z.enum(['submit', 'row'], { error: "must be 'submit' or 'row'" }).optional(),
    /** Delete tombstones of a versioned schema (see `TombstoneOptions`). */
    tombstones: bool.optional(),
    tombstoneRetentionMs: positiveInt.optional(),
    delivery: z.enum(['at-least-once', 'exactly-once'], { error: "must be 'at-least-once' or 'exactly-once'" }).optional(),
    ledgerTable: nonEmpty.optional(),
    ...tuningShape,
  })
  .superRefine((entry, ctx) => {
    if (entry.table === undefined) {
      if (entry.name === undefined) ctx.addIssue({ code: 'custom', path: ['name'], message: 'is required when there is no table' });
      for (const field of ['conflict', 'keys', 'createTable', 'evolve', 'versionColumn', 'versionSource', 'delivery', 'ledgerTable'] as const) {
        if (entry[field] !== undefined) ctx.addIssue({ code: 'custom', path: [field], message: 'applies only to SQL schemas (with a table)' });
      }
    }
    if (entry.table !== undefined && entry.conflict === undefined) {
      ctx.addIssue({ code: 'custom', path: ['conflict'], message: 'is required for a SQL schema: ignore, replace, update or insert' });
    }
    for (const field of ['versionSource', 'tombstones', 'tombstoneRetentionMs'] as const) {
      if (entry[field] !== undefined && entry.versionColumn === undefined) ctx.addIssue({ code: 'custom', path: [field], message: 'needs a versionColumn' });
    }
    if (entry.createTable && Array.isArray(entry.columns)) {
      ctx.addIssue({ code: 'custom', path: ['createTable'], message: 'needs typed columns ({ "column": "type" }) to know the column types' });
    }
    if (entry.evolve === 'add-columns' && Array.isArray(entry.columns)) {
      ctx.addIssue({ code: 'custom', path: ['evolve'], message: 'needs typed columns ({ "column": "type" }) to know the column types' });
    }
  });

/** Basic credentials (what a browser prompts for), a bearer token, or both: a request passes with either. */
const authString = z.string({ error: 'must be a string' }).optional();
// Only the types here: the rules themselves are httpAuthIssues, shared with createHttpServer.
const httpAuth = z
  .strictObject({ username: authString, password: authString, token: authString })
  .superRefine((auth, ctx) => {
    for (const issue of httpAuthIssues(auth)) ctx.addIssue({ code: 'custom', path: [...issue.path], message: issue.message });
  }) satisfies z.ZodType<HttpAuth>;
const bearerToken = z.string({ error: 'must be a string' }).superRefine((token, ctx) => {
  const problem = tokenIssue(token);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/** The config file, as zod validates it (env overrides are already merged in). */
export const configFileSchema = z
  .strictObject({
    redisUrl: redisUrl.default(CONFIG_DEFAULTS.redisUrl),
    // Redis Cluster seed nodes; when given they replace `redisUrl`. Env REDIS_CLUSTER_NODES (comma-separated) overrides.
    redis: z
      .strictObject({
        cluster: z.strictObject({ nodes: z.array(redisClusterNode).min(1, { error: 'must list at least one seed node' }) }).optional(),
      })
      .prefault({}),
    // The queues on PostgreSQL instead of Redis. Env BATCHFLOW_QUEUE_POSTGRES_URL and BATCHFLOW_QUEUE_SCHEMA override.
    queue: z
      .strictObject({
        postgresUrl: urlWithScheme(['postgres', 'postgresql']).optional(),
        schema: identifier.default(CONFIG_DEFAULTS.queue.schema),
      })
      .prefault({}),
    prefix: z
      .string({ error: 'must be a string' })
      .regex(/^[^:\s]+$/, { error: 'must be non-empty, without ":" or spaces' })
      .default(CONFIG_DEFAULTS.prefix),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { error: 'must be fatal, error, warn, info, debug, trace or silent' }).default(CONFIG_DEFAULTS.logLevel),
    keepCompletedJobs: z
      .union([z.literal(false), z.strictObject({ count: positiveInt.optional(), ageSeconds: positiveInt.optional() })], {
        error: 'must be false or { "count", "ageSeconds" } (positive integers)',
      })
      .default(CONFIG_DEFAULTS.keepCompletedJobs),
    http: z
      .strictObject({
        enabled: bool.default(CONFIG_DEFAULTS.http.enabled),
        host: nonEmpty.default(CONFIG_DEFAULTS.http.host),
        port: z.number({ error: 'must be a port number 0-65535' }).int({ error: 'must be a port number 0-65535' }).min(0, { error: 'must be a port number 0-65535' }).max(65535, { error: 'must be a port number 0-65535' }).default(CONFIG_DEFAULTS.http.port),
        auth: httpAuth.optional(),
        readOnly: bool.default(CONFIG_DEFAULTS.http.readOnly),
        ingest: bool.default(CONFIG_DEFAULTS.http.ingest),
        ingestToken: bearerToken.optional(),
      })
      .prefault({}),
    tracing: z
      .strictObject({
        enabled: bool.default(CONFIG_DEFAULTS.tracing.enabled),
        serviceName: nonEmpty.default(CONFIG_DEFAULTS.tracing.serviceName),
      })
      .prefault({}),
    sinks: z.record(identifier, sinkSchema).default({}),
    defaults: z.strictObject(tuningShape).prefault({}),
    schemas: z.array(schemaEntry).min(1, { error: 'must hold at least one schema' }),
  });

/** A parsed config file. */
export type ConfigFile = z.infer<typeof configFileSchema>;
/** One `sinks` entry (its fields depend on its type's definition). */
export type { SinkConfig } from '../../src/drivers/sink-definition.js';
/** One `schemas` entry, as written. */
export type SchemaEntry = z.infer<typeof schemaEntry>;
