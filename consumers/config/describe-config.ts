import { findSink } from '../../src/drivers/registry.js';
import { redactSecrets } from '../../src/drivers/redact-secrets.js';
import type { WorkerConfig } from './worker-config.js';

/** A summary of the config that is safe to log: URLs redacted (each sink's definition describes it), credentials reduced to their kind. */
export function describeConfig(config: WorkerConfig): Record<string, unknown> {
  return {
    source: config.source.kind === 'file' ? config.source.path : 'built-in demo',
    redis: typeof config.redis === 'string' ? redactSecrets(config.redis) : 'postgres' in config.redis ? { postgres: redactSecrets(config.redis.postgres), schema: config.redis.schema } : { cluster: config.redis.cluster.nodes.map((node) => (node.includes('://') ? redactSecrets(node) : node)) },
    prefix: config.prefix,
    http: config.http.enabled
      ? { host: config.http.host, port: config.http.port, auth: config.http.auth ? ('token' in config.http.auth ? 'token' : 'basic') : 'none', readOnly: config.http.readOnly }
      : 'disabled',
    sinks: Object.fromEntries(Object.entries(config.sinks).map(([name, sink]) => [name, findSink(sink.type)?.describe(sink) ?? sink.type])),
    schemas: config.schemas.map((s) => `${s.schema.name} → ${s.sink}`),
  };
}
