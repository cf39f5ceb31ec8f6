import type { ColumnType } from '../../src/core/column-type.js';
import { Schema, SQLSchema, type SQLSchemaOptions } from '../../src/core/schema.js';
import { BatchFlowError } from '../../src/errors/batchflow-error.js';
import { ConfigError } from '../../src/errors/config-error.js';
import { SchemaDefinitionError } from '../../src/errors/schema-definition-error.js';
import { findSink } from '../../src/drivers/registry.js';
import { CONFIG_DEFAULTS, type TuningField } from './config-defaults.js';
import type { ConfigFile, SchemaEntry } from './config-schema.js';
import type { SchemaConfig, SchemaTuning } from './worker-config.js';

const TUNING_FIELDS = Object.keys(CONFIG_DEFAULTS.defaults) as TuningField[];

/**
 * Builds the core schemas of a parsed config and checks what zod cannot see on its own:
 * each entry's sink exists and suits it (its definition in the sink registry says whether it
 * takes schemas with a table, without one, or either), names are unique, and the schema definition itself is valid.
 */
export function buildSchemas(file: ConfigFile): SchemaConfig[] {
  const seen = new Map<string, number>();
  return file.schemas.map((entry, i) => {
    const at = `schemas.${i}`;
    const sink = file.sinks[entry.sink];
    if (!sink) {
      const known = Object.keys(file.sinks);
      throw new ConfigError(`${at}.sink`, `no sink named "${entry.sink}" in sinks (defined: ${known.join(', ') || 'none'})`);
    }
    // The sink's definition says which schemas it takes (a table, none, or either for a plug-in).
    const kind = findSink(sink.type)?.schemas ?? 'any';
    const isSql = entry.table !== undefined;
    if (kind !== 'any' && isSql !== (kind === 'table')) {
      throw new ConfigError(`${at}.sink`, isSql ? `sink "${entry.sink}" is ${sink.type}, but a schema with a table needs a SQL sink` : `sink "${entry.sink}" is ${sink.type}: give the schema a table`);
    }
    if (entry.createTable && !findSink(sink.type)?.tables) {
      throw new ConfigError(`${at}.createTable`, `sink "${entry.sink}" is ${sink.type}, which cannot create tables`);
    }
    const schema = defineSchema(entry, at);
    const previous = seen.get(schema.name);
    if (previous !== undefined) throw new ConfigError(`${at}.name`, `schema "${schema.name}" is already defined by schemas.${previous}`);
    seen.set(schema.name, i);
    return { schema, sink: entry.sink, createTable: entry.createTable ?? false, evolve: entry.evolve ?? 'none', tuning: tuningOf(file, entry, at) };
  });
}

function defineSchema(entry: SchemaEntry, at: string): Schema {
  const columns = entry.columns as readonly string[] | Record<string, ColumnType>;
  try {
    const partitions = { ...(entry.partitions !== undefined && { partitions: entry.partitions }), ...(entry.partitionBy && { partitionBy: entry.partitionBy }) };
    if (entry.table === undefined) return Schema(entry.name as string, columns, partitions);
    const options = {
      ...(entry.keys && { keys: entry.keys }),
      ...(entry.name && { name: entry.name }),
      ...partitions,
      ...(entry.delivery && { delivery: entry.delivery }),
      ...(entry.ledgerTable && { ledgerTable: entry.ledgerTable }),
    };
    if (entry.versionColumn !== undefined) return versionedSchema(entry, columns, options, at);
    return SQLSchema(entry.table, entry.conflict ?? 'ignore', columns, options);
  } catch (err) {
    if (err instanceof ConfigError) throw err; // already names its field
    // SchemaDefinitionError messages name tables and columns only, never values.
    if (err instanceof BatchFlowError) throw new ConfigError(at, err.message);
    throw err;
  }
}

/**
 * A SQL schema with a version column. A definition error that the same entry without the version
 * options does not raise is about them, so it names `versionColumn` (or `versionSource`).
 */
function versionedSchema(entry: SchemaEntry, columns: readonly string[] | Record<string, ColumnType>, options: SQLSchemaOptions, at: string): Schema {
  const table = entry.table as string;
  const conflict = entry.conflict ?? 'ignore';
  try {
    return SQLSchema(table, conflict, columns, {
      ...options,
      versionColumn: entry.versionColumn,
      ...(entry.versionSource && { versionSource: entry.versionSource }),
      ...(entry.tombstones !== undefined && { tombstones: entry.tombstones }),
      ...(entry.tombstoneRetentionMs !== undefined && { tombstoneRetentionMs: entry.tombstoneRetentionMs }),
    });
  } catch (err) {
    if (!(err instanceof SchemaDefinitionError)) throw err;
    SQLSchema(table, conflict, columns, options); // throws the entry's own problem, if that is what it is
    throw new ConfigError(`${at}.versionColumn`, err.message);
  }
}

function tuningOf(file: ConfigFile, entry: SchemaEntry, at: string): SchemaTuning {
  const tuning: Record<string, number | 'auto'> = {};
  for (const field of TUNING_FIELDS) tuning[field] = entry[field] ?? file.defaults[field] ?? CONFIG_DEFAULTS.defaults[field];
  // Bounds merged from `defaults` and the entry: only together can they contradict each other.
  const { minFlushSize, maxFlushSize } = tuning;
  if (typeof minFlushSize === 'number' && typeof maxFlushSize === 'number' && minFlushSize > maxFlushSize) {
    const where = entry.maxFlushSize !== undefined || file.defaults.maxFlushSize === undefined ? `${at}.maxFlushSize` : 'defaults.maxFlushSize';
    throw new ConfigError(where, `must be at least minFlushSize (${String(minFlushSize)}), got ${String(maxFlushSize)}`);
  }
  const concurrency = entry.concurrency ?? file.defaults.concurrency;
  if (concurrency !== undefined) tuning.concurrency = concurrency;
  return Object.freeze(tuning) as SchemaTuning;
}
