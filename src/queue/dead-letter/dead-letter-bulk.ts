import type { Job, Queue } from 'bullmq';
import type { QueueClient } from '../connection.js';
import type { DeadLetterEntry } from '../dead-letter-entry.js';
import type { DeadLetterBulkOptions, DeadLetterBulkResult } from './dead-letter-queue-options.js';
import { walkPages, type DeadLetterRecord, type WalkSnapshot } from './dead-letter-walk.js';

/** What an action did to one entry: `done`/`dropped`/`gone` left the DLQ, `locked`/`refused`/`stale` stayed. */
export type DeadLetterOutcome = 'done' | 'dropped' | 'gone' | 'locked' | 'refused' | 'stale';

/**
 * Walks the selection in pages of `pageSize`, acting on each page's entries concurrently, or
 * previewing them in order on a dry run (`options.dryRun`). Counts what was selected, done
 * (removed) and skipped (gone or locked); the walk's offset moves past the entries that stayed.
 */
export async function bulkWalk(
  queue: Queue<DeadLetterEntry>,
  client: QueueClient,
  pageSize: number,
  options: DeadLetterBulkOptions,
  act: (record: DeadLetterRecord) => Promise<DeadLetterOutcome>,
  preview?: (record: DeadLetterRecord) => Promise<void>,
  snapshot?: WalkSnapshot,
): Promise<DeadLetterBulkResult> {
  const pages = walkPages(queue, client, pageSize, options, snapshot);
  let selected = 0;
  let done = 0;
  let skipped = 0;
  for (let step = await pages.next(); !step.done; ) {
    const page = step.value;
    selected += page.length;
    let left = 0;
    if (options.dryRun) {
      for (const record of page) await preview?.(record);
    } else {
      // One page at a time, its entries concurrently: the connection pipelines the round trips.
      const outcomes = await Promise.all(page.map((record) => act(record)));
      for (const outcome of outcomes) {
        if (outcome === 'done') done++;
        else if (outcome === 'gone' || outcome === 'locked') skipped++;
        if (outcome !== 'locked' && outcome !== 'refused' && outcome !== 'stale') left++;
      }
    }
    step = await pages.next(left);
  }
  return { selected, done, skipped };
}

/** A job locked by a worker (being replayed right now) cannot be removed; that is not an error here. */
export async function removeQuietly(job: Job): Promise<DeadLetterOutcome> {
  try {
    await job.remove();
    return 'done';
  } catch {
    return 'locked';
  }
}
