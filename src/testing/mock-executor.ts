import type { BatchExecutor } from '../core/batch-executor.js';
import type { Request } from '../core/request.js';
import type { Schema } from '../core/schema.js';

/** One recorded call of {@link MockExecutor.execute}. */
export interface MockExecutorCall {
  readonly schema: Schema;
  readonly requests: readonly Request[];
}

/** Options of {@link MockExecutor}. */
export interface MockExecutorOptions {
  /**
   * Decides the outcome of each call: return (or resolve) to succeed, throw to fail.
   * Throw a `SinkError` to drive retry, breaker or bisection in your tests.
   * @defaultValue every call succeeds
   */
  behaviour?: (schema: Schema, requests: readonly Request[], callIndex: number) => void | Promise<void>;
  /** @defaultValue `'mock'` */
  sink?: string;
}

/**
 * A {@link BatchExecutor} for your own tests: records every batch it is given and
 * succeeds or fails as you script it. Only successful calls are in {@link MockExecutor.committed}.
 *
 * @example
 * ```ts
 * const mock = new MockExecutor();
 * // ... run a consumer with `executor: mock`, then:
 * expect(mock.committed.flatMap((c) => c.requests)).toHaveLength(100);
 * ```
 */
export class MockExecutor implements BatchExecutor {
  readonly sink: string;
  /** Every call, in order, whatever its outcome. */
  readonly calls: MockExecutorCall[] = [];
  /** Calls that succeeded. */
  readonly committed: MockExecutorCall[] = [];
  readonly #behaviour: NonNullable<MockExecutorOptions['behaviour']> | undefined;

  constructor(options: MockExecutorOptions = {}) {
    this.sink = options.sink ?? 'mock';
    this.#behaviour = options.behaviour;
  }

  async execute(schema: Schema, requests: readonly Request[], signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    const call = { schema, requests: [...requests] };
    this.calls.push(call);
    await this.#behaviour?.(schema, requests, this.calls.length - 1);
    this.committed.push(call);
  }

  /** All requests of successful calls, flattened. */
  committedRequests(): Request[] {
    return this.committed.flatMap((call) => call.requests);
  }
}
