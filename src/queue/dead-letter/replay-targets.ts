import type { Job, Queue } from 'bullmq';
import type { EncodedValue } from '../../core/codec.js';
import { partitionOf } from '../../core/partition-of.js';
import { partitionKeyColumns, type Schema } from '../../core/schema.js';
import type { QueueClient } from '../connection.js';
import { openQueue } from '../open-queue.js';
import { partitionQueueName } from '../queue-names.js';
import { stateOf } from '../state/state-of.js';


/**
 * Where a DLQ's replays go: the DLQ's own schema queue (beside it, in its hash slot), or, on a
 * partitioned schema, the partition of the row's key *as replayed*: an edit that changes the key
 * moves the row to its new key's partition, so every request of a key stays in one queue.
 */
export class ReplayTargets {
  readonly #home: Queue;
  readonly #schema: Schema | undefined;
  readonly #redis: QueueClient;
  readonly #prefix: string;
  /** Other partitions' queues, opened on first use. */
  readonly #others = new Map<string, Queue>();

  constructor(home: Queue, schema: Schema | undefined, redis: QueueClient, prefix: string) {
    this.#home = home;
    this.#schema = schema;
    this.#redis = redis;
    this.#prefix = prefix;
  }

  /** The queue a replayed row goes to (the home queue for raw job data: pass no row). */
  route(row?: Readonly<Record<string, EncodedValue>>): Queue {
    const schema = this.#schema;
    if (!row || !schema || schema.partitions <= 1) return this.#home;
    const name = partitionQueueName(schema.name, partitionOf(partitionKeyColumns(schema), row, schema.partitions), schema.partitions);
    if (name === this.#home.name) return this.#home;
    let queue = this.#others.get(name);
    if (!queue) this.#others.set(name, (queue = openQueue(name, this.#redis, this.#prefix)));
    return queue;
  }

  /**
   * Adds `replayed` (a job of `target`, a queue {@link route} gave) and marks DLQ job `dlqJob` of `dlq` as
   * replayed under `jobId` (see `BatchFlowState.enqueueReplay`). On Redis, home queue: one MULTI (same
   * hash slot), so a crash leaves both or neither. Another partition (another slot), or PostgreSQL
   * (BullMQ adds in its own transaction): the add, then the mark; a crash in between makes
   * the next try add under the same job id again, which is nothing while that job is still
   * queued, and a second delivery of the row if it already completed (skipped by an exactly-once
   * ledger, idempotent with keys and a merging conflict strategy).
   */
  async enqueue(target: Queue, replayed: Job, dlq: Queue, dlqJob: Job, jobId: string): Promise<void> {
    await stateOf(this.#redis).enqueueReplay(this.#home, target, replayed, dlq, dlqJob, jobId);
  }

  /** Closes the other partitions' queue objects (the home queue is the caller's). */
  async close(): Promise<void> {
    await Promise.all([...this.#others.values()].map((queue) => queue.close()));
  }
}

/** The id of the job a replay of DLQ entry `dlqId` enqueues (the same on every try, so a repeat enqueues nothing). */
export function replayJobId(dlqId: string): string {
  return `r_${dlqId}`;
}
