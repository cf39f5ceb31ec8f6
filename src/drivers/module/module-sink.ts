import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import type { BatchExecutor } from '../../core/batch-executor.js';
import { classifyNodeErrno } from '../../core/classify-node-error.js';
import { ConfigError } from '../../errors/config-error.js';
import { SinkError } from '../../errors/sink-error.js';
import { nonEmpty } from '../config-fields.js';
import { defineSink, type SinkExecutor } from '../sink-definition.js';

/**
 * A `sinks.<name>` entry of type `module`: your own executor. `path` (relative to the config
 * file) names an ES module whose default export is `(options) => BatchExecutor` or a
 * `Promise` of one; `options` is handed to it as written (after `env:` references).
 *
 * @example
 * ```json
 * { "type": "module", "path": "./my-sink.js", "options": { "endpoint": "env:MY_SINK_URL" } }
 * ```
 */
export const moduleSinkConfig = z.strictObject({
  type: z.literal('module'),
  path: nonEmpty,
  options: z.record(z.string(), z.unknown(), { error: 'must be an object' }).optional(),
});
/** A validated `module` sink entry. */
export type ModuleSinkConfig = z.infer<typeof moduleSinkConfig>;

/** What a plug-in module's default export is. */
export type SinkModuleFactory = (options: Readonly<Record<string, unknown>>) => BatchExecutor | Promise<BatchExecutor>;

/**
 * Loads a plug-in sink and checks it at start: the file exists, its default export is a
 * function, and what it returns has an `execute` function. Each failure is a `ConfigError`
 * naming `sinks.<name>.path`.
 */
async function loadModuleExecutor(config: ModuleSinkConfig, field: string, baseDir: string): Promise<SinkExecutor> {
  const at = `${field}.path`;
  const file = resolve(baseDir, config.path);
  if (!existsSync(file) || !statSync(file).isFile()) throw new ConfigError(at, `no file at ${file}`);
  let loaded: { default?: unknown };
  try {
    loaded = (await import(pathToFileURL(file).href)) as { default?: unknown };
  } catch (err) {
    const error = new ConfigError(at, `cannot load ${file}: ${err instanceof Error ? err.message : String(err)}`);
    throw Object.assign(error, { cause: err });
  }
  const factory = loaded.default;
  if (typeof factory !== 'function') {
    throw new ConfigError(at, `${file} has no default export function: export default (options) => ({ sink, execute(schema, requests, signal) { … } })`);
  }
  const executor = (await (factory as SinkModuleFactory)(Object.freeze({ ...config.options }))) as Partial<BatchExecutor> | null | undefined;
  if (executor === null || typeof executor !== 'object' || typeof executor.execute !== 'function') {
    throw new ConfigError(at, `the default export of ${file} must return a BatchExecutor (an object with an execute(schema, requests, signal) function)`);
  }
  const sink = typeof executor.sink === 'string' && executor.sink.length > 0 ? executor.sink : 'module';
  // A thin wrapper: the worker may always call close(), the executor may not have one.
  return {
    sink,
    execute: (schema, requests, signal) => (executor.execute as BatchExecutor['execute']).call(executor, schema, requests, signal),
    ...(typeof executor.ping === 'function' && { ping: (signal?: AbortSignal) => (executor.ping as NonNullable<BatchExecutor['ping']>).call(executor, signal) }),
    close: async () => {
      if (typeof executor.close === 'function') await executor.close();
    },
  };
}

/** Plug-in sinks: `{ "type": "module", "path": "./my-sink.js", "options": { … } }` runs your own `BatchExecutor` in the worker. */
export const moduleSink = defineSink<ModuleSinkConfig>({
  type: 'module',
  title: 'Plug-in module',
  schemas: 'any',
  clientPackages: [],
  config: moduleSinkConfig,
  describe: (config) => `module:${config.path}`,
  createExecutor: (config, context) => loadModuleExecutor(config, context.field, context.baseDir),
  // A plug-in classifies its own errors (it throws SinkError); what it does not, the pipeline classifies by errno.
  classifyError: (err) => (err instanceof SinkError ? err : new SinkError(classifyNodeErrno(err) ?? 'unknown', `module: ${err instanceof Error ? err.message : String(err)}`, { cause: err })),
});
