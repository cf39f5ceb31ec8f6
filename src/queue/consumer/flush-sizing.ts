import type { FlushSizeSource } from '../../core/batch-accumulator.js';
import type { BatchWriterHooks } from '../../core/batch-writer.js';
import { FlushSizeController, type SealObservation } from '../../core/flush-size-controller.js';
import type { JobBudget } from './job-concurrency.js';

/** What {@link FlushSizing} needs of the consumer's resolved options. */
export interface FlushSizingOptions {
  readonly flushSize: number | 'auto';
  readonly minFlushSize: number;
  readonly maxFlushSize: number;
  readonly targetCommitMs: number;
  readonly maxInFlightBatches: number;
}

/**
 * One consumer's flush size, fixed or `'auto'`, and everything that follows it: the size the
 * accumulator flushes at, the request budget of the jobs the worker holds, and the
 * `batchflow_flush_size` gauge. With `'auto'` a {@link FlushSizeController} decides, fed by the
 * accumulator's seals, the writer's executor calls and setbacks, and whether the worker holds its
 * whole budget (`saturated`: work waits in the queue).
 */
export class FlushSizing {
  readonly #fixed: number | undefined;
  readonly #controller: FlushSizeController | undefined;
  readonly #inFlight: number;

  constructor(
    options: FlushSizingOptions,
    /** Reports the size (the gauge); called at once and on every change. */
    readonly report: (size: number) => void = () => {},
    /** Whether the worker holds as many jobs as its budget allows (work waits in the queue); read at each seal. */
    readonly saturated: () => boolean = () => false,
  ) {
    this.#inFlight = options.maxInFlightBatches;
    if (options.flushSize === 'auto') {
      const { minFlushSize, maxFlushSize, targetCommitMs } = options;
      this.#controller = new FlushSizeController({ minFlushSize, maxFlushSize, targetCommitMs }, report);
    } else {
      this.#fixed = options.flushSize;
    }
    report(this.size);
  }

  /** Whether the size adapts (`flushSize: 'auto'`). */
  get adaptive(): boolean {
    return this.#controller !== undefined;
  }

  /** The size batches are flushed at now. */
  get size(): number {
    return this.#controller?.size ?? (this.#fixed as number);
  }

  /** What the accumulator flushes at: the fixed number, or a source it reads on every item and tells of every seal. */
  get source(): number | FlushSizeSource {
    const controller = this.#controller;
    if (!controller) return this.#fixed as number;
    return {
      get size() {
        return controller.size;
      },
      sealed: (seal: SealObservation) => controller.sealed({ ...seal, pressured: seal.pressured || this.saturated() }),
    };
  }

  /**
   * The budget of the jobs the worker holds: requests enough for the batch being filled and every
   * batch in flight at the current size (read again on every hold and release), and `bytes`.
   */
  budget(bytes: number): JobBudget {
    const size = (): number => this.size;
    const batches = this.#inFlight + 1;
    return {
      get requests() {
        return size() * batches;
      },
      bytes,
    };
  }

  /**
   * The writer's hooks, plus the controller's feed: each commit (its size and time), and a shrink
   * on every deadlock retry, timeout or failure that holds the batch.
   */
  observing(hooks: BatchWriterHooks): BatchWriterHooks {
    const controller = this.#controller;
    if (!controller) return hooks;
    return {
      executed: (status, seconds, size, batchId, error) => {
        if (status === 'ok') controller.committed({ size, commitMs: seconds * 1000, atMs: performance.now() });
        hooks.executed?.(status, seconds, size, batchId, error);
      },
      retrying: (error, attempt, delayMs, batchId) => {
        controller.setback(performance.now());
        hooks.retrying?.(error, attempt, delayMs, batchId);
      },
    };
  }
}
