import { ConfigError } from '../errors/config-error.js';
import { moduleSink } from './module/module-sink.js';
import { mysqlSink } from './mysql/mysql-sink.js';
import { postgresSink } from './postgres/postgres-sink.js';
import { redisSink } from './redis/redis-sink.js';
import type { SinkConfigBase, SinkDefinition } from './sink-definition.js';
import { sqliteSink } from './sqlite/sqlite-sink.js';

/** A definition of any config type, as the registry holds it. */
// The config type is checked by the definition's own zod shape at parse time.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnySinkDefinition = SinkDefinition<any>;

/**
 * Every sink the worker config, the CLI, the benchmark and the conformance suite know, in
 * order. Adding a sink: a folder `src/drivers/<db>/` exporting one `SinkDefinition`, plus one
 * line here (see docs/guides/custom-sinks.md).
 */
const BUILT_IN: readonly AnySinkDefinition[] = [
  postgresSink,
  mysqlSink,
  sqliteSink,
  redisSink,
  moduleSink,
];

const registry = new Map<string, AnySinkDefinition>(BUILT_IN.map((definition) => [definition.type, definition]));

/** The registered sink definitions, built-in ones first, in registration order. */
export function sinkDefinitions(): readonly AnySinkDefinition[] {
  return [...registry.values()];
}

/** The registered sink types, e.g. `['postgres', 'mysql', 'sqlite', 'redis', 'module']`. */
export function sinkTypes(): string[] {
  return [...registry.keys()];
}

/** The definition of a sink type, or undefined when none is registered. */
export function findSink(type: string): AnySinkDefinition | undefined {
  return registry.get(type);
}

/**
 * Registers a sink defined outside this package (or a test's) so that config files can name
 * its `type`; the built-in ones are registered already. A type can be registered once.
 * Returns a function that unregisters it (for tests).
 *
 * @example
 * ```ts
 * registerSink(jsonlSink);
 * const config = loadConfig({ path: 'batchflow.json' }); // may now use { "type": "jsonl", … }
 * ```
 */
export function registerSink<C extends SinkConfigBase>(definition: SinkDefinition<C>): () => void {
  if (!/^[a-z][a-z0-9_-]*$/.test(definition.type)) throw new ConfigError('SinkDefinition.type', 'must be lower-case letters, digits, "-" or "_", starting with a letter');
  if (registry.has(definition.type)) throw new ConfigError('SinkDefinition.type', `a sink of type "${definition.type}" is already registered`);
  registry.set(definition.type, definition);
  return () => {
    if (registry.get(definition.type) === definition) registry.delete(definition.type);
  };
}
