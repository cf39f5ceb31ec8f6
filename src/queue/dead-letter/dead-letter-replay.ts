import type { Job, Queue } from 'bullmq';
import type { Schema } from '../../core/schema.js';
import { ConfigError } from '../../errors/config-error.js';
import type { DeadLetterEntry } from '../dead-letter-entry.js';
import { removeQuietly, type DeadLetterOutcome } from './dead-letter-bulk.js';
import { decideReplay, replayRow, type ReplayDecision } from './dead-letter-edit.js';
import type { DeadLetterBulkOptions, DeadLetterBulkResult, DeadLetterRefusal, DeadLetterReplayOptions, DeadLetterReplayResult } from './dead-letter-queue-options.js';
import { replaySnapshot, type DeadLetterRecord, type WalkSnapshot } from './dead-letter-walk.js';
import { ReplayPacer } from './replay-pacer.js';
import { replayJobId } from './replay-targets.js';

/** Refusals (and ids of entries failed again) a replay's result lists at most. */
const MAX_REFUSALS = 20;

/** What a replay needs of its DLQ. */
export interface DeadLetterReplayParts {
  /** The schema's name, for error messages. */
  readonly schemaName: string;
  /** The DLQ's `schema`, which validates the rows, when it was given. */
  readonly schema: Schema | undefined;
  readonly queue: Queue<DeadLetterEntry>;
  /** Whether a replay already re-enqueued the entry's request (it is marked). */
  readonly replayed: (job: Job) => Promise<boolean>;
  /** Re-enqueues one entry's request, `row` as the encoded row to enqueue (see `DeadLetterQueue.requeue`). */
  readonly requeue: (job: Job<DeadLetterEntry>, row: unknown) => Promise<boolean>;
  /** Walks the selection, acting on each page (see `bulkWalk`). */
  readonly bulk: (
    options: DeadLetterBulkOptions,
    act: (record: DeadLetterRecord) => Promise<DeadLetterOutcome>,
    preview: (record: DeadLetterRecord) => Promise<void>,
    snapshot: WalkSnapshot,
  ) => Promise<DeadLetterBulkResult>;
}

/**
 * One replay run (`DeadLetterQueue.replay`): decides each selected entry (replay, edit, drop,
 * refuse, stale), re-enqueues and removes the replayed ones at `ratePerSecond`, and counts what
 * became of them, previewing only on a dry run.
 */
export async function replayEntries(p: DeadLetterReplayParts, options: DeadLetterReplayOptions): Promise<DeadLetterReplayResult> {
  const { transform, ratePerSecond, onDecision } = options;
  if (transform !== undefined && !p.schema) throw new ConfigError('transform', `needs the schema to validate edited rows: new DeadLetterQueue('${p.schemaName}', redis, prefix, { schema })`);
  if (ratePerSecond !== undefined && !(Number.isFinite(ratePerSecond) && ratePerSecond > 0)) throw new ConfigError('ratePerSecond', `must be a positive number, got ${ratePerSecond}`);
  const pacer = ratePerSecond === undefined ? undefined : new ReplayPacer(ratePerSecond);
  const refusals: DeadLetterRefusal[] = [];
  let dropped = 0;
  let refused = 0;
  let stale = 0;
  const { snapshot, enqueued, failedAgain } = replaySnapshot();
  const decide = async (record: DeadLetterRecord): Promise<ReplayDecision> => {
    const decision = await decideReplay(record, p.schema, transform);
    if (decision.action === 'refuse') {
      refused++;
      if (refusals.length < MAX_REFUSALS) refusals.push({ id: decision.id, error: decision.error });
    }
    if (decision.action === 'stale') stale++;
    await onDecision?.(decision);
    return decision;
  };
  const act = async ({ id, state }: DeadLetterRecord): Promise<DeadLetterOutcome> => {
    const job = await p.queue.getJob(id);
    if (!job?.id) return 'gone';
    // An earlier replay enqueued it already and stopped short of the removal: finish that.
    if (await p.replayed(job)) return removeQuietly(job);
    const decision = await decide({ id: job.id, state, entry: job.data });
    if (decision.action === 'refuse') return 'refused';
    if (decision.action === 'stale') return 'stale';
    if (decision.action === 'drop') {
      const outcome = await removeQuietly(job);
      if (outcome === 'done') dropped++;
      return outcome === 'done' ? 'dropped' : outcome;
    }
    await pacer?.wait();
    enqueued.add(replayJobId(job.id));
    await p.requeue(job, replayRow(decision));
    return removeQuietly(job);
  };
  const preview = async (record: DeadLetterRecord): Promise<void> => {
    if ((await decide(record)).action === 'drop') dropped++;
  };
  const result = await p.bulk(options, act, preview, snapshot);
  return { ...result, dropped, refused, stale, refusals, failedAgain: failedAgain.size, failedAgainIds: [...failedAgain].slice(0, MAX_REFUSALS) };
}
