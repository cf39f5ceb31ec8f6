// What each config-file field means, for the fields whose meaning is not already the TSDoc of
// their default (CONFIG_DEFAULTS) or of a BatchConsumer option. scripts/gen-docs.mjs builds
// docs/reference/configuration.md from the zod schema, these texts and those TSDoc comments,
// and fails when a field of the schema has no text or a text names no field: the reference
// cannot drift from the schema.

/** Dotted field path (`schemas[].table`) → one-paragraph meaning, Markdown. */
export const CONFIG_FIELD_DOCS: Readonly<Record<string, string>> = Object.freeze({
  'redis.cluster.nodes': 'Redis Cluster seed nodes (`host:port` or URLs); when given they replace `redisUrl`. One reachable seed is enough. See [Partitions and Cluster](../guides/partitions-and-cluster.md).',
  queue: 'Where the queues are when not on Redis: PostgreSQL through BullMQ\'s PostgreSQL backend (`postgresUrl`, `schema`). See [Queue backend](../guides/queue-backend.md).',
  'queue.postgresUrl': 'Queues on PostgreSQL (BullMQ\'s PostgreSQL backend) instead of Redis: `postgres://…`. When set, every producer, consumer and CLI command uses it and `redisUrl` is not used. Env `BATCHFLOW_QUEUE_POSTGRES_URL`. See [Queue backend](../guides/queue-backend.md).',
  'http.auth': '`{ "username", "password" }` (HTTP Basic), `{ "token" }` (Bearer, ≥ 16 characters) or both, for Bull Board and DLQ actions. Required when `http.host` is beyond loopback; once set, required on loopback too.',
  'http.auth.username': 'Basic auth user name; needs `password`.',
  'http.auth.password': 'Basic auth password; needs `username`. Prefer `"env:NAME"`.',
  'http.auth.token': 'Bearer token, at least 16 characters. Prefer `"env:NAME"`.',
  'http.ingestToken': 'Bearer token ingest requests must carry (≥ 16 characters). Required when `http.host` is beyond loopback and `http.ingest` is on; on loopback, ingest without it is open to local callers.',
  sinks: 'Named sinks, one executor (connection pool) each, shared by their schemas: `{ "<name>": { "type": "postgres", … } }`. The fields of each `type` are listed under [Sinks](#sinks).',
  tracing: 'OpenTelemetry traces of the worker: a span per batch commit, linked to every request it carries. See [Observability](../operations/observability.md).',
  defaults: 'Batch tuning for every schema (the fields under [Tuning](#tuning)); each schema entry may override any of them.',
  schemas: 'The schemas the worker consumes, at least one. Each entry is described under [Schema entries](#schema-entries).',
  'schemas[].name': 'Schema (and queue) name. Default: the table name with `.` replaced by `_`; required without a `table`.',
  'schemas[].sink': 'Name of the `sinks` entry the schema writes to.',
  'schemas[].table': '`name` or `namespace.name`. With a table the entry is a SQL schema and needs a SQL sink; without one it goes to a sink that takes plain schemas (Redis, a module).',
  'schemas[].conflict': '`ignore`, `replace`, `update` or `insert`: what a row does when its keys exist. Required with a `table`. See [Last submit wins](../guides/last-submit-wins.md) and [Exactly-once](../guides/exactly-once.md).',
  'schemas[].columns': 'Column names, or `{ "column": "type" }` with `int32`, `int64`, `float64`, `string`, `bool`, `timestamp`, `bytes` (a trailing `?` for nullable). Without a table, the first column holds the command (Redis).',
  'schemas[].keys': 'The conflict keys. Default: the first column (none with `insert`). Must be the primary key or a unique index.',
  'schemas[].createTable': '`CREATE TABLE IF NOT EXISTS` at start-up, keys as primary key; needs typed columns. With `tombstones: true` also the tombstone table `<table>_bf_tombstones`. Default `false`.',
  'schemas[].evolve': '`none` (default) or `add-columns`: add missing nullable columns at start-up, then check again. See [Schema check](../guides/schemas-and-requests.md#schema-check-at-start).',
  'schemas[].partitions': 'Queues the schema is spread over, 1 to 256. Default 1. See [Partitions and Cluster](../guides/partitions-and-cluster.md).',
  'schemas[].partitionBy': 'Routing columns. On a SQL schema with `update`, `replace` or `ignore`: some of its `keys` (any columns with `insert`); default the keys. Without a table: default the first column. See [Partitions](../guides/partitions-and-cluster.md#partitions).',
  'schemas[].versionColumn': 'Makes `update`/`replace` mean *last submit wins*. Default none. See [Last submit wins](../guides/last-submit-wins.md).',
  'schemas[].versionSource': '`submit` (the producer stamps the submit time; default with a `versionColumn`) or `row` (your own column).',
  'schemas[].tombstones': 'Versioned schemas only: `true` keeps a tombstone per deleted key (table `<table>_bf_tombstones`) so an older write redelivered after a delete cannot bring the row back; `false` deletes without them. A versioned schema refuses deletes until it is set. See [Deletes](../guides/deletes.md).',
  'schemas[].tombstoneRetentionMs': 'How long a tombstone is kept before it is pruned. Default 604800000 (7 days). See [Deletes](../guides/deletes.md#versioned-deletes-and-tombstones).',
  'schemas[].delivery': '`at-least-once` (default) or `exactly-once` (a ledger table in the batch transaction). See [Exactly-once](../guides/exactly-once.md).',
  'schemas[].ledgerTable': 'The exactly-once ledger table. Default `<table>__batchflow_ledger`.',
  'keepCompletedJobs.count': 'Completed jobs kept per queue.',
  'keepCompletedJobs.ageSeconds': 'Completed jobs older than this are removed.',
});
