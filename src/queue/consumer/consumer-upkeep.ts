import { randomUUID } from 'node:crypto';
import type { Queue } from 'bullmq';
import type { QueueClient } from '../connection.js';
import type { BreakerState, HoldCause } from '../../core/circuit-breaker.js';
import type { DeliveryLedger } from '../../core/delivery.js';
import type { Schema } from '../../core/schema.js';
import type { MetricsReporter } from '../../metrics/metrics-reporter.js';
import type { DeadLetterQueue } from '../dead-letter/index.js';
import { FailedJobSweeper } from './failed-job-sweeper.js';
import { CompletedRetention } from './completed-retention.js';
import { publishHealth } from './consumer-health.js';
import { stateOf } from '../state/index.js';
import { upkeepClock, type ScheduledChore } from '../../core/upkeep-clock.js';

/** What {@link ConsumerUpkeep} needs from its consumer. */
export interface ConsumerUpkeepOptions {
  readonly schema: Schema;
  readonly sink: string;
  /** The consumer's executor: its exactly-once ledger tells the sweeper which rows of a failed job committed. */
  readonly executor?: { readonly ledger?: DeliveryLedger };
  /** The schema's queues held now: one, or one per partition, and those of other layouts being drained. */
  readonly queues: () => readonly Queue[];
  /** Their DLQs, in the same order. */
  readonly dlqs: () => readonly DeadLetterQueue[];
  readonly redis: QueueClient;
  readonly prefix: string;
  /** The process's HTTP endpoint, published with the health. */
  readonly endpoint?: string | undefined;
  readonly metrics: MetricsReporter;
  /** Whether queue and DLQ depths are sampled into `metrics`: not when the consumer was given no reporter, where they would go nowhere. */
  readonly sampleDepths: boolean;
  /** On the PostgreSQL queue backend: trims each queue's completed jobs to their count every {@link CompletedRetention.TRIM_INTERVAL_MS}. */
  readonly retention?: CompletedRetention | undefined;
  readonly queueDepthIntervalMs: number;
  readonly failedJobSweepIntervalMs: number;
  readonly health: () => { breaker: BreakerState; holding: HoldCause | undefined };
  /** Rows committed since the consumer started, for the rate it publishes. */
  readonly committedRows: () => number;
  readonly onError: (err: unknown) => void;
}

/**
 * A consumer's background chores, on the process's {@link upkeepClock} (one timer per period for
 * every consumer of the process, not one per chore and schema): sample queue and DLQ depths into the
 * metrics, move jobs BullMQ failed into the DLQ ({@link FailedJobSweeper}), forget the replay
 * marks of DLQ entries gone, publish the consumer's health where `batchflow stats` reads it, and
 * on PostgreSQL trim completed jobs to their kept count ({@link CompletedRetention}). None of them
 * touches the write path.
 */
export class ConsumerUpkeep {
  readonly #id = randomUUID();
  /** One per queue held, by queue name: a failed job's entries go to its own queue's DLQ. */
  readonly #sweepers = new Map<string, FailedJobSweeper>();
  readonly #chores: ScheduledChore[] = [];
  /** Committed rows and time at the previous publication: the rate's window. */
  #last = { rows: 0, at: performance.now() };

  constructor(readonly options: ConsumerUpkeepOptions) {
    const o = options;
    this.#every(o.failedJobSweepIntervalMs, () => Promise.all(this.#currentSweepers().map((sweeper) => sweeper.sweep())));
    // Replay marks of entries gone since (PostgreSQL's `bf_replayed` rows; nothing on Redis), so the table does not only grow.
    this.#every(o.failedJobSweepIntervalMs, () => Promise.all(o.dlqs().map((dlq) => stateOf(o.redis).pruneReplayMarks(dlq.queue))));
    // Known from the start, not only after the first interval or breaker change: `stats` shows a live worker at once.
    void this.publishHealth();
    this.#every(o.queueDepthIntervalMs, async () => {
      // With many schemas in one process, this chore is a good part of the idle CPU (issue 21).
      if (o.sampleDepths) await this.#sampleDepth();
      await this.publishHealth();
    });
    const retention = o.retention;
    if (retention) this.#every(CompletedRetention.TRIM_INTERVAL_MS, () => retention.trim(o.queues()));
  }

  /** Publishes the consumer's health now (on every breaker change); it expires unless refreshed. */
  async publishHealth(): Promise<void> {
    const interval = this.options.queueDepthIntervalMs;
    const ttlMs = interval > 0 ? Math.max(3 * interval, 15_000) : 60_000;
    try {
      const rows = this.options.committedRows();
      const now = performance.now();
      const seconds = (now - this.#last.at) / 1000;
      const rowsPerSecond = seconds > 0 ? Math.max(0, rows - this.#last.rows) / seconds : 0;
      this.#last = { rows, at: now };
      await publishHealth(this.options.redis, this.options.prefix, this.options.schema.name, this.#id, { ...this.options.health(), rowsPerSecond, endpoint: this.options.endpoint }, ttlMs);
    } catch (err) {
      this.options.onError(err);
    }
  }

  /** Stops the timers; the sweeper's queue handle closes with the consumer's connections. */
  stop(): void {
    for (const chore of this.#chores) chore.cancel();
  }

  async close(): Promise<void> {
    this.stop();
    await Promise.all([...this.#sweepers.values()].map((sweeper) => sweeper.close()));
  }

  /** A sweeper per queue held now; those of queues no longer held (a drained layout) are closed. */
  #currentSweepers(): FailedJobSweeper[] {
    const o = this.options;
    const queues = o.queues();
    const dlqs = o.dlqs();
    const held = new Set(queues.map((queue) => queue.name));
    for (const [name, sweeper] of this.#sweepers) {
      if (held.has(name)) continue;
      this.#sweepers.delete(name);
      void sweeper.close().catch((err: unknown) => o.onError(err));
    }
    return queues.map((queue, i) => {
      let sweeper = this.#sweepers.get(queue.name);
      if (!sweeper) {
        sweeper = new FailedJobSweeper({ schema: o.schema, queue: queue.name, dlq: dlqs[i] as DeadLetterQueue, connection: o.redis, prefix: o.prefix, metrics: o.metrics, sink: o.sink, ledger: o.executor?.ledger });
        this.#sweepers.set(queue.name, sweeper);
      }
      return sweeper;
    });
  }

  #every(ms: number, chore: () => Promise<unknown>): void {
    // The clock does not start a chore slower than its interval (a large sweep) twice.
    this.#chores.push(upkeepClock.every(ms, chore, (err) => this.options.onError(err)));
  }

  async #sampleDepth(): Promise<void> {
    const { metrics, schema } = this.options;
    // Partitions (and other layouts' queues being drained) are summed: depth gauges stay per schema (docs/guides/partitions-and-cluster.md).
    const [counts, dlqSizes] = await Promise.all([
      Promise.all(this.options.queues().map((queue) => queue.getJobCounts('waiting', 'active', 'delayed', 'failed'))),
      Promise.all(this.options.dlqs().map((dlq) => dlq.count())),
    ]);
    for (const state of ['waiting', 'active', 'delayed', 'failed'] as const) metrics.queueDepth(schema.name, state, counts.reduce((sum, c) => sum + (c[state] ?? 0), 0));
    metrics.queueDepth(schema.name, 'dlq', dlqSizes.reduce((a, b) => a + b, 0));
  }
}
