import type { Logger } from 'pino';
import type { BatchConsumer } from '../src/queue/consumer/index.js';

/**
 * Logs a consumer's events, one JSON line each: every committed batch (batchId, size, seconds),
 * retries, dead-lettered requests and breaker changes with their batchId. Dead-lettered rows
 * are summarised by reason and error code; the row data itself stays in the DLQ, since it may
 * hold personal data that does not belong in logs.
 */
export function logConsumerEvents(consumer: BatchConsumer, logger: Logger): void {
  const log = logger.child({ schema: consumer.schema.name });
  consumer.on('batch:committed', ({ batchId, size, seconds }) => log.info({ event: 'batch:committed', batchId, size, seconds }, 'batch committed'));
  // A held batch is retried every few seconds for as long as the sink is sick: the breaker's
  // state changes tell the story, and repeats of one cause are throttled like errors.
  const retryThrottle = repeatThrottle(ERROR_REPEAT_MS);
  consumer.on('batch:retry', ({ batchId, reason, errorCode, attempt, delayMs }) => {
    const suppressed = retryThrottle(`${reason}/${errorCode ?? ''}`);
    if (suppressed !== undefined) log.warn({ event: 'batch:retry', batchId, reason, errorCode, attempt, delayMs, ...(suppressed > 0 && { suppressed }) }, 'batch failed, retrying');
  });
  consumer.on('dead-lettered', ({ batchId, entries }) => {
    const byCause: Record<string, number> = {};
    for (const entry of entries) {
      const cause = `${entry.class}/${entry.reason}${entry.errorCode ? `/${entry.errorCode}` : ''}`;
      byCause[cause] = (byCause[cause] ?? 0) + 1;
    }
    log.warn({ event: 'dead-lettered', batchId, count: entries.length, byCause }, 'requests dead-lettered');
  });
  consumer.on('breaker', ({ sink, state, reason, errorCode, message }) =>
    log[state === 'closed' ? 'info' : 'warn'](
      { event: 'breaker', sink, state, reason, errorCode, cause: message },
      state === 'open' ? `sink failing (${reason ?? 'unknown'}${errorCode ? ` ${errorCode}` : ''}): consumption paused, nothing dead-lettered` : `circuit breaker ${state}`,
    ),
  );
  consumer.on('layout', ({ queue, draining }) =>
    log.info({ event: 'layout', queue, draining }, draining ? `draining queue ${queue} of another partitions layout` : `queue ${queue} of another layout is empty: let go`),
  );
  const throttle = repeatThrottle(ERROR_REPEAT_MS);
  consumer.on('error', (err) => {
    const suppressed = throttle(err.message);
    if (suppressed !== undefined) log.error({ event: 'error', err, ...(suppressed > 0 && { suppressed }) }, 'consumer error');
  });
}

/** The same error (e.g. `ECONNREFUSED` on every reconnect while Redis is down) is logged at most this often. */
const ERROR_REPEAT_MS = 10_000;

/**
 * Returns, for each occurrence of a key, undefined when it should not be logged (seen within
 * `windowMs`), else how many occurrences were skipped since it was last logged.
 */
function repeatThrottle(windowMs: number): (key: string) => number | undefined {
  const last = new Map<string, { at: number; skipped: number }>();
  return (key) => {
    const now = Date.now();
    const seen = last.get(key);
    if (seen && now - seen.at < windowMs) {
      seen.skipped++;
      return undefined;
    }
    last.set(key, { at: now, skipped: 0 });
    return seen?.skipped ?? 0;
  };
}
