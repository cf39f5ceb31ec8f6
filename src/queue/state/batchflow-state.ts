import type { Job, Queue } from 'bullmq';
import type { BreakerState } from '../../core/circuit-breaker.js';
import type { LayoutRegistry } from '../schema-layouts.js';

/** One consumer's health as published in the queue store, for tools that cannot ask it directly (`batchflow stats`, `/readyz`). */
export interface PublishedHealth {
  readonly consumerId: string;
  readonly breaker: BreakerState;
  readonly holding: { readonly reason: string; readonly code: string | null; readonly message: string } | null;
  /** ISO-8601 time of publication. */
  readonly at: string;
  /**
   * Rows this consumer committed per second since its previous publication (every
   * `queueDepthIntervalMs`, and on breaker changes); absent from consumers of older versions.
   * `batchflow stats` sums it over the live consumers of a schema: every worker, on any host.
   */
  readonly rowsPerSecond?: number;
  /** The consumer's process HTTP endpoint (its `endpoint` option), when it has one. */
  readonly endpoint?: string;
}

/** A schema found in the queue store: its name and how many partition queues it has. */
export interface DiscoveredSchema {
  readonly name: string;
  /** 1, or the number of `<schema>#<n>` queues found (the highest partition number + 1). */
  readonly partitions: number;
}

/** A waiting job as a page of {@link BatchFlowState.waitingPage} reads it: its id, data and creation time (ms). */
export interface WaitingJob {
  readonly id: string;
  readonly data: unknown;
  readonly timestamp: number;
}

/** The fields of a stored job as they are, for one whose data BullMQ cannot parse (Redis only: PostgreSQL stores `jsonb`). */
export type RawJobFields = Readonly<Record<string, string | undefined>>;

/**
 * BatchFlow's own state beside BullMQ's queues, whichever store holds them: the layout registry
 * of partitioned schemas, the health board, schema discovery, the raw fields of an unreadable
 * job, and the DLQ replay's enqueue-and-mark. BullMQ's own API covers everything else, on both
 * backends; this is what BatchFlow did with raw Redis commands.
 *
 * Implementations: {@link RedisState} (keys under the queue's hash tag, as before) and
 * {@link PostgresState} (tables `bf_*` in the queue schema, see `postgres-state-tables.ts`).
 * On PostgreSQL the schema is the namespace, so the `prefix` arguments are not used there.
 */
export interface BatchFlowState extends LayoutRegistry {
  readonly backend: 'redis' | 'postgres';
  /** Publishes a consumer's health; it expires after `ttlMs`, so a crashed worker's state does not linger. */
  publishHealth(prefix: string, schema: string, health: PublishedHealth, ttlMs: number): Promise<void>;
  /** The health every live consumer of `schema` published. */
  readHealth(prefix: string, schema: string): Promise<PublishedHealth[]>;
  /** The schemas whose queues exist under `prefix`, with their partition counts. */
  discoverSchemas(prefix: string): Promise<DiscoveredSchema[]>;
  /** A stored job's fields as they are, for a job whose data is not JSON; undefined where that cannot happen. */
  readRawJob(queue: Queue, id: string): Promise<RawJobFields | undefined>;
  /**
   * Up to `count` of `queue`'s waiting jobs, oldest first, from `offset`; undefined where BullMQ's
   * `getJobs(['waiting'], start, end, true)` pages them so itself (Redis). BullMQ 6.7's PostgreSQL
   * backend does not: its `get_range` slices waiting jobs newest first and the getter then reverses
   * the slice, so page 0 held the newest jobs, and a walk of the oldest first began at the newest.
   */
  waitingPage(queue: Queue, offset: number, count: number): Promise<WaitingJob[] | undefined>;
  /** Whether DLQ job `job` of `dlq` was already re-enqueued by a replay (marked by {@link enqueueReplay}). */
  isReplayed(dlq: Queue, job: Job): Promise<boolean>;
  /**
   * Adds `replayed` to `target` and marks DLQ job `dlqJob` as replayed under `jobId`. Atomically
   * where the store allows it (Redis, target beside the DLQ: one MULTI); otherwise the add, then
   * the mark: a crash in between makes the next try add under the same job id again, which is
   * nothing while that job is queued.
   */
  enqueueReplay(home: Queue, target: Queue, replayed: Job, dlq: Queue, dlqJob: Job, jobId: string): Promise<void>;
  /**
   * Forgets the replay marks of `dlq`'s entries that are gone (removed once replayed, or purged),
   * and resolves with how many. A mark matters only while its entry exists: on Redis it is a field
   * of the entry's hash and goes with it (0 here); on PostgreSQL it is a row of `bf_replayed`.
   */
  pruneReplayMarks(dlq: Queue): Promise<number>;
}
