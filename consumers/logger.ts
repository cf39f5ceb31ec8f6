import { pino, type Logger } from 'pino';

/**
 * Paths pino replaces with `[redacted]` wherever they appear in a log line: credentials, URLs
 * (which may embed a password) and authorization headers. A second wall behind the rule that
 * URLs are only ever logged through `redactSecrets`.
 */
export const REDACTED_LOG_PATHS: readonly string[] = Object.freeze([
  'password',
  'token',
  'url',
  'connectionString',
  'redisUrl',
  'auth',
  'authorization',
  '*.password',
  '*.token',
  '*.url',
  '*.connectionString',
  '*.redisUrl',
  '*.auth',
  '*.authorization',
  'req.headers.authorization',
  'req.headers.cookie',
]);

/**
 * The service's JSON logger, one line per event on stdout. `fields` adds to every line, e.g. the
 * active span's `trace_id` and `span_id` when tracing is on.
 */
export function createLogger(level: string, fields?: () => Record<string, string>): Logger {
  return pino({ name: 'batchflow', level, redact: { paths: [...REDACTED_LOG_PATHS], censor: '[redacted]' }, ...(fields && { mixin: fields }) });
}
