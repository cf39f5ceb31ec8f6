import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { RequestHandler, Router } from 'express';
import { SCHEMA_JOB_DEFAULTS, type KeepCompletedJobs } from '../../src/queue/job-options.js';
import { PARTITION_SEPARATOR, deadLetterQueueName } from '../../src/queue/queue-names.js';

/**
 * A BullMQ `Queue` as Bull Board takes it. Typed from Bull Board's own adapter so this file needs
 * no import of bullmq (only src/queue talks to BullMQ).
 */
export type BoardQueue = ConstructorParameters<typeof BullMQAdapter>[0];

/** Options of {@link bullBoardRouter}. */
export interface BullBoardRouterOptions {
  /**
   * Schema queues and their DLQs (`<schema>.dlq`), in the order the board lists them; a function
   * is read again on each request, and the board follows when its queue names change.
   */
  queues: readonly BoardQueue[] | (() => readonly BoardQueue[]);
  /** Path the router is mounted at; Bull Board's page links need it. */
  basePath: string;
  /** Hide and refuse every action (retry, remove, clean, pause…). */
  readOnly: boolean;
  /**
   * The producers' `keepCompletedJobs`, stated in each schema queue's description where Bull
   * Board's Completed list is cut. @defaultValue 1000 jobs, 1 hour (BullMQ's removeOnComplete)
   */
  keepCompletedJobs?: KeepCompletedJobs;
}

/**
 * Bull Board's adapter with an empty metrics series padded to one zero point: the board then
 * draws a flat chart for a queue nothing was recorded for yet (a DLQ, whose worker only parks
 * entries), instead of telling the user to "enable metrics on your worker", which the
 * consumer already does (`metricsMaxDataPoints`) and the user cannot act on.
 */
class BoardQueueAdapter extends BullMQAdapter {
  override async getMetrics(...args: Parameters<BullMQAdapter['getMetrics']>): ReturnType<BullMQAdapter['getMetrics']> {
    const metrics = await super.getMetrics(...args);
    return metrics.data.length === 0 && metrics.meta.count === 0 ? { ...metrics, data: [0] } : metrics;
  }
}

/** Where the Completed list is cut, in words. */
function historyLimit(keep: KeepCompletedJobs | undefined): string {
  if (keep === false) return 'Completed jobs are removed at once (keepCompletedJobs: false), so Completed stays empty.';
  const count = keep?.count ?? SCHEMA_JOB_DEFAULTS.keepCompletedJobs.count;
  const hours = (keep?.ageSeconds ?? SCHEMA_JOB_DEFAULTS.keepCompletedJobs.ageSeconds) / 3600;
  const age = hours >= 1 ? `${Number(hours.toFixed(1))} h` : `${Math.round(hours * 60)} min`;
  return `History is capped: Completed keeps only the latest ${count} jobs, none older than ${age} (keepCompletedJobs); totals are in batchflow stats and /metrics.`;
}

const DLQ_SUFFIX = deadLetterQueueName('');

/**
 * Bull Board for the given queues. A DLQ gets a description saying what its "Retry" does:
 * the DLQ worker replays the entry into the schema's queue. A partitioned schema's queues
 * (`orders#0`, `orders#0.dlq`, …) get `#` as Bull Board's delimiter, so its menu lists them
 * grouped under the schema (`orders` › `0`, `0.dlq`, …).
 */
export function bullBoardRouter(options: BullBoardRouterOptions): RequestHandler {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(options.basePath);
  const current = typeof options.queues === 'function' ? options.queues : () => options.queues as readonly BoardQueue[];
  const adapter = (queue: BoardQueue) => {
    const isDlq = queue.name.endsWith(DLQ_SUFFIX);
    const description = isDlq
      ? `Dead-letter queue of ${queue.name.slice(0, -DLQ_SUFFIX.length)}: failed entries keep the request and its error (reason, code, message) until replayed or purged; Retry replays one into its schema queue.`
      : `Schema queue: one job per request, or per packed group of requests (data.n says how many). ${historyLimit(options.keepCompletedJobs)}`;
    const partitioned = queue.name.includes(PARTITION_SEPARATOR);
    const [schema = '', partition = ''] = queue.name.replace(DLQ_SUFFIX, '').split(PARTITION_SEPARATOR);
    const where = partitioned ? `Partition ${partition} of schema ${schema}. ` : '';
    return new BoardQueueAdapter(queue, { readOnlyMode: options.readOnly, allowRetries: !options.readOnly, description: `${where}${description}`, delimiter: partitioned ? PARTITION_SEPARATOR : '' });
  };
  let shown = current();
  let names = shown.map((queue) => queue.name).join('\n');
  // showMetrics: the per-queue throughput chart (completed and failed per minute) from BullMQ's worker metrics.
  const board = createBullBoard({ queues: shown.map(adapter), serverAdapter, options: { uiConfig: { boardTitle: 'BatchFlow', showMetrics: true } } });
  const router = serverAdapter.getRouter() as Router;
  // Queues of another `partitions` layout come and go: follow the list on each request (a name comparison when unchanged).
  return (req, res, next) => {
    shown = current();
    const now = shown.map((queue) => queue.name).join('\n');
    if (now !== names) {
      names = now;
      board.replaceQueues(shown.map(adapter));
    }
    router(req, res, next);
  };
}
