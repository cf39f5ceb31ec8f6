import type { EventEmitter } from 'node:events';
import { redactCommandCredentials } from '../../core/redact-credentials.js';
import type { BatchConsumerEvents } from './batch-consumer-events.js';
import type { ConsumerVoice } from './consumer-voice.js';

/**
 * How a consumer tells what happens: to the app's listeners on the consumer, and through its
 * {@link ConsumerVoice} (the `logger` option). It never throws: a listener that throws is reported
 * as an `error`, so that it never fails a job whose rows committed.
 */
export class ConsumerEmitter {
  readonly #emitter: EventEmitter<BatchConsumerEvents>;
  readonly #voice: ConsumerVoice;
  readonly #schema: string;

  constructor(emitter: EventEmitter<BatchConsumerEvents>, voice: ConsumerVoice, schema: string) {
    this.#emitter = emitter;
    this.#voice = voice;
    this.#schema = schema;
  }

  /** Emits to user listeners; one that throws is reported as an `error` and never fails the job. */
  emit<K extends Exclude<keyof BatchConsumerEvents, 'error'>>(event: K, ...args: BatchConsumerEvents[K]): void {
    try {
      (this.#emitter.emit as (e: K, ...a: BatchConsumerEvents[K]) => boolean)(event, ...args);
    } catch (err) {
      this.error(err);
    }
  }

  /** An operational error: emitted as `error` when the app listens, else said by the voice. */
  error(err: unknown): void {
    // BullMQ's blocking connection is a duplicate of ours, without our scrubbing listener.
    redactCommandCredentials(err);
    const listened = this.#emitter.listenerCount('error') > 0;
    this.#voice.error(this.#schema, err instanceof Error ? err : new Error(String(err)), listened);
    if (!listened) return;
    try {
      this.#emitter.emit('error', err instanceof Error ? err : new Error(String(err)));
    } catch {
      // An error listener that throws has nowhere left to report to.
    }
  }

  /** The breaker changed state: said by the voice, then emitted as `breaker`. */
  breaker(event: BatchConsumerEvents['breaker'][0]): void {
    this.#voice.breaker(event);
    this.emit('breaker', event);
  }

  /** Requests were stored in the DLQ: said by the voice, then emitted as `dead-lettered`. */
  deadLettered(event: BatchConsumerEvents['dead-lettered'][0]): void {
    this.#voice.deadLettered(event);
    this.emit('dead-lettered', event);
  }
}
