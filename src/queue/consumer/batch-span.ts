import type { BatchSpan, BatchTracer } from '../../tracing/batch-tracer.js';
import { traceOfRow } from '../job-data.js';
import type { PendingRequest } from './pending-request.js';

/**
 * Opens a batch's span: linked to each request's recorded trace context, its attempt the highest
 * delivery attempt among its jobs (a redelivered job's requests are on their second try or later).
 * Requests replayed from the DLQ are counted (`batchflow.replayed_requests`), with the most
 * replays any of them had (`batchflow.replay.max`).
 */
export function startBatchSpan(tracer: BatchTracer, batchId: string, items: readonly PendingRequest[]): BatchSpan {
  let attempt = 1;
  let replayed = 0;
  let replays = 0;
  for (const item of items) {
    attempt = Math.max(attempt, item.job.attemptsMade + 1);
    if (item.history) {
      replayed++;
      replays = Math.max(replays, item.history.replays);
    }
  }
  return tracer.start(
    batchId,
    items.map((item) => traceOfRow(item.job.data, item.rowIndex)),
    attempt,
    replayed > 0 ? { 'batchflow.replayed_requests': replayed, 'batchflow.replay.max': replays } : {},
  );
}
