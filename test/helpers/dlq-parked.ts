import type { DeadLetterQueue } from '../../src/queue/dead-letter/dead-letter-queue.js';

/**
 * Entries the DLQ worker has parked (failed). Wait on this, not on `count()`, before listing: an
 * entry being parked is active, so `count()` counted it a moment before and `list()` does not show
 * it; on the PostgreSQL queue backend that moment is long enough for a test to list it as missing.
 */
export async function parkedCount(dlq: DeadLetterQueue): Promise<number> {
  return (await dlq.list()).filter((record) => record.state === 'failed').length;
}
