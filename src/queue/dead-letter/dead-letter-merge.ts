import { createHash } from 'node:crypto';
import type { DeadLetterEntry } from '../dead-letter-entry.js';

/**
 * What to do with a new failure whose DLQ id is already taken by `existing`:
 * - `keep`: it is the same failure delivered again (the source job was redelivered after a crash,
 *   same job id and creation time): the entry already records it;
 * - `merge`: the same request failed again through a new job under the same id (a resubmit with
 *   the same idempotency key): the entry takes the new failure, see {@link mergeFailure};
 * - `elsewhere`: a different request under the same key: it needs an entry of its own.
 */
export function placeFailure(existing: DeadLetterEntry, entry: DeadLetterEntry): 'keep' | 'merge' | 'elsewhere' {
  if (JSON.stringify(existing.request) !== JSON.stringify(entry.request)) return 'elsewhere';
  const sameDelivery = existing.sourceJobId === entry.sourceJobId && existing.sourceJobTimestamp !== undefined && existing.sourceJobTimestamp === entry.sourceJobTimestamp;
  return sameDelivery ? 'keep' : 'merge';
}

/**
 * The entry after a repeat failure of its request: the latest failure's class, reason, code,
 * message and source, the attempts of both, and the earliest first-failure time.
 */
export function mergeFailure(existing: DeadLetterEntry, entry: DeadLetterEntry): DeadLetterEntry {
  return {
    ...entry,
    attempts: existing.attempts + entry.attempts,
    firstFailedAt: existing.firstFailedAt < entry.firstFailedAt ? existing.firstFailedAt : entry.firstFailedAt,
    replays: Math.max(existing.replays, entry.replays),
  };
}

/** A short, id-safe digest of a request, for the entry of a second request under the same key. */
export function requestDigest(request: unknown): string {
  return createHash('sha256').update(JSON.stringify(request) ?? '').digest('base64url').slice(0, 16);
}
