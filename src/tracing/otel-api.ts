import { createRequire } from 'node:module';
import type * as OtelApi from '@opentelemetry/api';
import { MissingClientError } from '../errors/missing-client-error.js';

/** The `@opentelemetry/api` module, as BatchFlow uses it. */
export type OtelApiModule = typeof OtelApi;

let loaded: OtelApiModule | undefined;

/**
 * Loads `@opentelemetry/api`, an optional peer dependency, the first time a component is built
 * with `tracing: true`; never otherwise, so an app without tracing loads nothing of it. Synchronous
 * (a constructor needs it), through `require`: the API keeps its state in a process-wide global,
 * so this copy sees the tracer provider and context manager the app registered through its own.
 * @throws MissingClientError when the package is not installed
 */
export function loadOtelApi(): OtelApiModule {
  if (loaded) return loaded;
  try {
    loaded = createRequire(import.meta.url)('@opentelemetry/api') as OtelApiModule;
  } catch (err) {
    if ((err as { code?: unknown }).code === 'MODULE_NOT_FOUND') throw new MissingClientError('@opentelemetry/api', 'tracing: true', { cause: err });
    throw err;
  }
  return loaded;
}
