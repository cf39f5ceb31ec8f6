import type { Queue } from 'bullmq';
import type { QueueClient } from '../connection.js';
import type { DeadLetterClass, DeadLetterEntry } from '../dead-letter-entry.js';
import { stateOf } from '../state/state-of.js';

/** Selects DLQ entries; every given field must match. */
export interface DeadLetterFilter {
  class?: DeadLetterClass;
  /** Failure reason, e.g. `non_retryable` or `deadlock`. */
  reason?: string;
  /** Sink error code, e.g. `23505`. */
  errorCode?: string;
  /** Only entries whose last failure is at or after this time. */
  since?: Date;
}

/** Options of a walk through the DLQ. */
export interface DeadLetterScanOptions {
  filter?: DeadLetterFilter;
  /** Most entries to select. @defaultValue all */
  limit?: number;
  /**
   * Called after each page with the entries examined so far and the entries the DLQ held when
   * the walk began (from `getJobCounts`, capped by `limit` when there is no filter). The last
   * call has `done === total`.
   */
  onProgress?: (done: number, total: number) => void;
}

/** A DLQ entry with its job id and BullMQ state. */
export interface DeadLetterRecord {
  readonly id: string;
  readonly state: 'failed' | 'waiting' | 'delayed';
  readonly entry: DeadLetterEntry;
}

/**
 * Bounds a walk to a snapshot: entries for which `later` is true (added after the walk began, or
 * coming from the walk's own replays) are passed to `onLater` instead of being yielded. They stay
 * where they are, and the page offset moves past them, so a walk whose actions add entries ends.
 */
export interface WalkSnapshot {
  readonly later: (record: DeadLetterRecord, createdMs: number) => boolean;
  readonly onLater?: (record: DeadLetterRecord) => void;
}

/**
 * The states walked, in the order entries move through them: a new entry waits, then the DLQ
 * worker parks it (failed). In that order, an entry parked while the walk runs is not missed: it
 * is met in a later state, where the walk passes it if it remembers meeting it before (up to
 * {@link REMEMBERED_BEFORE_FAILED} ids). In the opposite order, an entry parked after the failed
 * pass and before the waiting one was missed although `count()` had counted it.
 */
const STATES = ['waiting', 'delayed', 'failed'] as const;

/**
 * Most ids of waiting and delayed entries a walk remembers (about 1 MB) to pass them in the failed
 * state if they were parked meanwhile. Beyond it, an entry of a larger backlog that the DLQ worker
 * parks during the walk may be yielded twice, as before the ids were remembered.
 */
const REMEMBERED_BEFORE_FAILED = 10_000;

/**
 * The snapshot a replay walks: the entries there when it began. What this call's own replays send
 * back (their source job is one it enqueued: add those job ids to `enqueued`) and what else fails
 * meanwhile are left for the next call, so the call ends; the former are collected in `failedAgain`.
 */
export function replaySnapshot(startedMs = Date.now()): { snapshot: WalkSnapshot; enqueued: Set<string>; failedAgain: Set<string> } {
  const enqueued = new Set<string>();
  const failedAgain = new Set<string>();
  const ours = (entry: DeadLetterEntry) => entry.sourceJobId !== null && enqueued.has(entry.sourceJobId);
  const snapshot: WalkSnapshot = {
    later: ({ entry }, createdMs) => createdMs > startedMs || ours(entry),
    onLater: ({ id, entry }) => {
      if (ours(entry)) failedAgain.add(id);
    },
  };
  return { snapshot, enqueued, failedAgain };
}

/**
 * Walks the selected entries of a DLQ page by page: waiting, delayed, then failed (parked), each
 * oldest first. The value given to `next()` is how many entries of the yielded page the caller
 * removed: the page offset advances by the entries that stay, so entries an action removes never make the walk skip the ones behind them.
 */
export async function* walkPages(queue: Queue<DeadLetterEntry>, client: QueueClient, pageSize: number, options: DeadLetterScanOptions, snapshot?: WalkSnapshot): AsyncGenerator<DeadLetterRecord[], void, number | undefined> {
  const { filter = {}, limit = Number.POSITIVE_INFINITY, onProgress } = options;
  const counts = await queue.getJobCounts(...STATES);
  const inQueue = Object.values(counts).reduce((a, b) => a + b, 0);
  const unfiltered = !filter.class && !filter.reason && !filter.errorCode && !filter.since;
  const total = unfiltered ? Math.min(inQueue, limit) : inQueue;
  let examined = 0;
  let selected = 0;
  // Ids met while waiting or delayed, what keeps an entry parked during the walk from being
  // yielded a second time. Usually few (the DLQ worker parks entries as they come); capped so a
  // walk over a large unparked backlog keeps its memory flat.
  const metBefore = new Set<string>();
  for (const state of STATES) {
    let offset = 0;
    while (selected < limit) {
      const jobs = await readPage(queue, client, state, offset, pageSize);
      if (jobs.length === 0) break;
      const page: DeadLetterRecord[] = [];
      for (const read of jobs) {
        if (selected >= limit) break;
        const record = read?.record;
        if (record && state !== 'failed') {
          if (metBefore.size < REMEMBERED_BEFORE_FAILED) metBefore.add(record.id);
        }
        else if (record && metBefore.has(record.id)) continue;
        if (record && read && snapshot?.later(record, read.createdMs)) {
          snapshot.onLater?.(record);
          continue;
        }
        examined++;
        if (record && matches(record.entry, filter)) {
          page.push(record);
          selected++;
        }
      }
      onProgress?.(examined, Math.max(total, examined));
      const left = page.length > 0 ? ((yield page) ?? 0) : 0;
      offset += jobs.length - left;
    }
  }
  onProgress?.(examined, examined);
}

/**
 * One page of a state, ids and job hashes read by one BullMQ script (`Queue#getJobs` would
 * read every hash a second time). An entry whose data is not an entry reads as undefined.
 */
async function readPage(queue: Queue<DeadLetterEntry>, client: QueueClient, state: DeadLetterRecord['state'], offset: number, pageSize: number): Promise<Array<{ record: DeadLetterRecord | undefined; createdMs: number } | undefined>> {
  const backend = queue.getBackend() as Partial<Pick<ReturnType<Queue['getBackend']>, 'getJobs'>>;
  if (typeof backend.getJobs !== 'function') {
    // PostgreSQL's backend has no one-script page read, and pages waiting jobs newest first
    // (see BatchFlowState.waitingPage); Queue#getJobs reads the other states' pages in two
    // statements there. Its `jsonb` data always parses.
    const waiting = state === 'waiting' ? await stateOf(client).waitingPage(queue, offset, pageSize) : undefined;
    const jobs = waiting ?? (await queue.getJobs([state], offset, offset + pageSize - 1, true)).map((job) => ({ id: job.id, data: job.data as unknown, timestamp: job.timestamp }));
    return jobs.map((job) => ({ record: job.id && job.data !== null && typeof job.data === 'object' ? { id: job.id, state, entry: job.data as DeadLetterEntry } : undefined, createdMs: job.timestamp }));
  }
  const [jobs = []] = await backend.getJobs([state], offset, offset + pageSize - 1, true);
  return jobs.map(([id, fields]) => {
    const createdMs = Number(hashField(fields, 'timestamp') ?? 0);
    try {
      const entry = JSON.parse(hashField(fields, 'data') ?? '') as DeadLetterEntry;
      return { record: entry !== null && typeof entry === 'object' ? { id, state, entry } : undefined, createdMs };
    } catch {
      return { record: undefined, createdMs };
    }
  });
}

function matches(entry: DeadLetterEntry, filter: DeadLetterFilter): boolean {
  if (filter.class && entry.class !== filter.class) return false;
  if (filter.reason && entry.reason !== filter.reason) return false;
  if (filter.errorCode && entry.errorCode !== filter.errorCode) return false;
  if (filter.since && Date.parse(entry.lastFailedAt) < filter.since.getTime()) return false;
  return true;
}

/** A field of a hash read as a flat `[field, value, …]` list. */
function hashField(fields: readonly string[], name: string): string | undefined {
  for (let i = 0; i < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}
