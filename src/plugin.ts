/**
 * `bullmq-batchflow/plugin`: what a sink author needs beyond the main entry. A sink is a
 * {@link SinkDefinition} (its config shape, executor factory, error table and optional DDL and
 * introspection) declared with {@link defineSink} and registered with {@link registerSink}
 * before the worker's config is loaded. Errors are classified by code into `SinkError` reasons;
 * the helpers here classify Node's network and file errors so a sink only adds its own codes.
 * See `docs/guides/custom-sinks.md`.
 *
 * @example
 * ```ts
 * import { z } from 'zod';
 * import { defineSink, nonEmpty, registerSink, classifyNodeErrno } from 'bullmq-batchflow/plugin';
 * export const jsonlSink = defineSink({
 *   type: 'jsonl', title: 'JSON lines file', schemas: 'plain', clientPackages: [],
 *   config: z.strictObject({ type: z.literal('jsonl'), file: nonEmpty }),
 *   describe: (config) => `jsonl:${config.file}`,
 *   createExecutor: async (config) => new JsonlWriter(config.file),
 *   classifyError: (err) => classifyNodeErrno(err),
 * });
 * registerSink(jsonlSink);
 * ```
 *
 * @packageDocumentation
 */

export {
  defineSink,
  type SinkConfig,
  type SinkConfigBase,
  type SinkContext,
  type SinkDefinition,
  type SinkExecutor,
  type SinkIntrospection,
  type SinkSchemaKind,
  type SinkTables,
} from './drivers/sink-definition.js';
export { findSink, registerSink, sinkDefinitions, sinkTypes, type AnySinkDefinition } from './drivers/registry.js';
export { createSinkTables, openSink, type SinkPlace } from './drivers/open-sink.js';
export { bool, identifier, nonEmpty, nonNegativeInt, positiveInt, redisUrl, urlWithScheme } from './drivers/config-fields.js';
export { redactSecrets } from './drivers/redact-secrets.js';
export { loadClient } from './drivers/load-client.js';
export { buildCreateTable, type DdlColumnTypes } from './drivers/sql/create-table.js';
export { NODE_ERROR_CODES, classifyNodeErrno, nodeErrorCode, toSinkError } from './core/classify-node-error.js';
export { failureAction, isRetryableReason, type FailureAction, type FailureReason } from './errors/failure-reason.js';
export { assertIdentifier, assertTableName } from './core/identifier.js';
export type { DialectSchemaRules, TableColumn, TableShape, TableUniqueIndex } from './core/schema-diff.js';
