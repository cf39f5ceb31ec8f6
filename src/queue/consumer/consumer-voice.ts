import type { BatchConsumerEvents } from './batch-consumer-events.js';
import type { ConsumerLogger } from './consumer-logger.js';

/** The same dead-letter cause, or the same operational error, is logged at most this often. */
const REPEAT_MS = 10_000;

/** A hint where to look, after a hold or dead-letter line. */
const HOLD_HINT = 'consumption paused, the jobs wait in Redis, nothing is dead-lettered; it resumes by itself once the sink answers';

/**
 * What a consumer says through its {@link ConsumerLogger} without any listener: one line when
 * the breaker opens (the sink is held, with the reason, the code and the message) and one when
 * it closes again, one line per cause of dead-lettering (repeats of one cause within 10 s are
 * counted into the next line), and operational errors when nobody listens to `error`. A held
 * batch retried every few seconds says nothing more: the state changes tell the story.
 */
export class ConsumerVoice {
  readonly #logger: ConsumerLogger | undefined;
  readonly #seen = new Map<string, { at: number; skipped: number }>();
  #held = false;

  constructor(logger: ConsumerLogger | undefined) {
    this.#logger = logger;
  }

  breaker({ schema, sink, state, reason, errorCode, message }: BatchConsumerEvents['breaker'][0]): void {
    if (!this.#logger) return;
    const fields = { event: 'breaker', schema, sink, state, reason, errorCode, cause: message };
    if (state === 'open' && !this.#held) {
      this.#held = true;
      this.#logger.warn(fields, `schema "${schema}": ${sink} sink failing (${describeCause(reason, errorCode)}: ${message ?? 'no message'}); ${HOLD_HINT}`);
    } else if (state === 'closed' && this.#held) {
      this.#held = false;
      this.#logger.info?.(fields, `schema "${schema}": ${sink} sink answers again; consumption resumed`);
    }
  }

  deadLettered({ schema, batchId, entries }: BatchConsumerEvents['dead-lettered'][0]): void {
    if (!this.#logger) return;
    const byCause = new Map<string, { reason: string; errorCode: string | null; message: string; count: number }>();
    for (const entry of entries) {
      const key = `${entry.reason}/${entry.errorCode ?? ''}`;
      const cause = byCause.get(key) ?? { reason: entry.reason, errorCode: entry.errorCode, message: entry.message, count: 0 };
      cause.count++;
      byCause.set(key, cause);
    }
    for (const [key, { reason, errorCode, message, count }] of byCause) {
      const skipped = this.#repeat(`dlq:${key}`, count);
      if (skipped === undefined) continue;
      const total = count + skipped;
      const fields = { event: 'dead-lettered', schema, batchId, reason, errorCode, count: total, cause: message };
      const requests = total === 1 ? '1 request' : `${total} requests`;
      const since = skipped > 0 ? ` (${skipped} of them since the last line)` : '';
      this.#logger.warn(fields, `schema "${schema}": ${requests} dead-lettered${since} (${describeCause(reason, errorCode)}: ${message}); see consumer.dlq or \`batchflow dlq list ${schema}\``);
    }
  }

  /** An operational error; logged only when the app has no `error` listener of its own. */
  error(schema: string, err: Error, listened: boolean): void {
    if (!this.#logger || listened) return;
    const code = (err as { code?: unknown }).code;
    if (this.#repeat(`error:${err.message}`, 1) === undefined) return;
    this.#logger.error({ event: 'error', schema, err }, `schema "${schema}": ${err.message}${typeof code === 'string' ? ` (${code})` : ''}`);
  }

  /** undefined when `key` was logged within {@link REPEAT_MS} (its `count` is added up), else the count added up since. */
  #repeat(key: string, count: number): number | undefined {
    const now = Date.now();
    const seen = this.#seen.get(key);
    if (seen && now - seen.at < REPEAT_MS) {
      seen.skipped += count;
      return undefined;
    }
    this.#seen.set(key, { at: now, skipped: 0 });
    return seen?.skipped ?? 0;
  }
}

function describeCause(reason: string | null, errorCode: string | null): string {
  return `${reason ?? 'unknown'}${errorCode ? ` ${errorCode}` : ''}`;
}
