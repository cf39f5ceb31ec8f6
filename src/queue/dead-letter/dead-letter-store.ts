import type { Job, Queue } from 'bullmq';
import type { DeadLetterEntry } from '../dead-letter-entry.js';
import { removeQuietly } from './dead-letter-bulk.js';
import type { KeyedDeadLetter } from './dead-letter-factory.js';
import { mergeFailure, placeFailure, requestDigest } from './dead-letter-merge.js';

// stackTraceLimit 0: a parked entry's error is its reason, code and message (job.failedReason);
// BullMQ's stack of the parking throw says nothing about the request and buried it in Bull Board.
const DLQ_JOB_OPTIONS = Object.freeze({ removeOnComplete: true, removeOnFail: false, attempts: 1, stackTraceLimit: 0 });

/**
 * Stores failures in the DLQ `queue` as `DeadLetterQueue.add` describes: never drops one, keeps a
 * repeat once, merges the same request failing again, and gives a different request its own
 * entry. `replayed` tells an entry whose request a replay already re-enqueued.
 * Resolves with the number of failures newly recorded (added or merged).
 */
export async function storeEntries(queue: Queue<DeadLetterEntry>, replayed: (job: Job) => Promise<boolean>, entries: readonly KeyedDeadLetter[]): Promise<number> {
  if (entries.length === 0) return 0;
  const placed = await Promise.all(entries.map(({ entry, key }) => place(queue, replayed, key, entry)));
  const fresh = placed.filter((p): p is { id: string; entry: DeadLetterEntry } => typeof p === 'object');
  if (fresh.length > 0) await queue.addBulk(fresh.map(({ id, entry }) => ({ name: entry.class, data: entry, opts: { ...DLQ_JOB_OPTIONS, jobId: id } })));
  return placed.filter((p) => p !== 'keep').length;
}

/** Where a new failure goes: a fresh entry's id, or whether an existing entry took it (`merged`) or had it (`keep`). */
async function place(queue: Queue<DeadLetterEntry>, replayed: (job: Job) => Promise<boolean>, key: string, entry: DeadLetterEntry): Promise<{ id: string; entry: DeadLetterEntry } | 'merged' | 'keep'> {
  const ids = [`d_${key}`, `d_${key}_${requestDigest(entry.request)}`];
  for (const id of ids) {
    const existing = await queue.getJob(id);
    if (!existing) return { id, entry };
    if (await replayed(existing)) {
      // Its request was re-enqueued by a replay that stopped short of removing it: finish that, then enter this failure afresh.
      if ((await removeQuietly(existing)) === 'done') return { id, entry };
      continue;
    }
    const placement = placeFailure(existing.data, entry);
    if (placement === 'keep') return 'keep';
    if (placement === 'merge') {
      try {
        await existing.updateData(mergeFailure(existing.data, entry));
        return 'merged';
      } catch {
        return { id, entry }; // removed meanwhile (replayed or purged): this failure needs a new entry
      }
    }
  }
  return { id: `${ids[1] as string}_${entry.sourceJobTimestamp ?? Date.now()}`, entry };
}
