import { redactUrl } from '../queue/connection.js';
import type { WorkerConfig } from './worker-config.js';

const SECRET_PARAMS = /pass|secret|token|key|auth/i;

/**
 * A URL fit for logs: password replaced by `***`, and query parameters that look like
 * credentials (`?password=`, `?sslkey=`, `?token=`) masked too.
 */
export function redactSecrets(url: string): string {
  const redacted = redactUrl(url);
  try {
    const parsed = new URL(redacted);
    for (const name of [...parsed.searchParams.keys()]) if (SECRET_PARAMS.test(name)) parsed.searchParams.set(name, '***');
    return parsed.toString();
  } catch {
    return redacted;
  }
}

/** A summary of the config that is safe to log: URLs redacted, credentials reduced to their kind. */
export function describeConfig(config: WorkerConfig): Record<string, unknown> {
  return {
    source: config.source.kind === 'file' ? config.source.path : 'built-in demo',
    redis: redactSecrets(config.redisUrl),
    prefix: config.prefix,
    http: config.http.enabled
      ? { host: config.http.host, port: config.http.port, auth: config.http.auth ? ('token' in config.http.auth ? 'token' : 'basic') : 'none', readOnly: config.http.readOnly }
      : 'disabled',
    sinks: Object.fromEntries(
      Object.entries(config.sinks).map(([name, sink]) => [name, sink.type === 'sqlite' ? `sqlite:${sink.filename}` : redactSecrets(sink.url)]),
    ),
    schemas: config.schemas.map((s) => `${s.schema.name} → ${s.sink}`),
  };
}
