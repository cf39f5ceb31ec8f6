import { isSQLSchema, type Schema } from '../core/schema.js';
import { ConfigError } from '../errors/config-error.js';
import { findSink } from './registry.js';
import type { SinkConfig, SinkExecutor } from './sink-definition.js';

/** Where a configured sink sits: its name in `sinks` and the directory relative paths resolve against. */
export interface SinkPlace {
  /** Its name in the config's `sinks`. */
  readonly name: string;
  /** The config file's directory (relative `path`s of plug-in sinks resolve against it). @defaultValue `process.cwd()` */
  readonly baseDir?: string;
}

/**
 * Creates the tables of `schemas` on one sink if they are missing (`CREATE TABLE IF NOT
 * EXISTS`, over a short-lived connection of the sink's own), using its registry definition, and
 * the delete tombstone tables of schemas that keep them.
 */
export async function createSinkTables(place: SinkPlace, sink: SinkConfig, schemas: readonly Schema[]): Promise<void> {
  if (schemas.length === 0) return;
  const definition = findSink(sink.type);
  const tables = definition?.tables;
  const statements = schemas.map((schema) => {
    if (!tables || !isSQLSchema(schema)) throw new ConfigError(`sinks.${place.name}`, `cannot create a table for schema "${schema.name}" on a ${sink.type} sink`);
    return tables.createTableSql(schema, sink);
  });
  // Then the delete tombstone tables, copied from their data tables' columns.
  const tombstones = schemas.filter(isSQLSchema).flatMap((schema) => tables?.tombstoneTableSql?.(schema, sink) ?? []);
  await tables?.createTables(sink, [...statements, ...tombstones]);
}

/**
 * The executor of one configured sink, from its registry definition (which loads the client
 * library only now). A missing client fails here, at start, with a `MissingClientError` naming
 * the package; a plug-in that does not load or check out, with a `ConfigError` naming the field.
 */
export async function openSink(place: SinkPlace, sink: SinkConfig): Promise<SinkExecutor> {
  const definition = findSink(sink.type);
  if (!definition) throw new ConfigError(`sinks.${place.name}.type`, `no sink of type "${sink.type}" is registered`);
  return definition.createExecutor(sink, { field: `sinks.${place.name}`, baseDir: place.baseDir ?? process.cwd() });
}
