import type { Job, Queue } from 'bullmq';

/** Jobs that finished less than this before the oldest kept one stay too (see {@link CompletedRetention.trim}). */
const CUT_MARGIN_MS = 100;
/** Completed jobs removed by one trim at most: a large backlog goes in several rounds, not one long statement. */
const TRIM_LIMIT = 10_000;

/**
 * The count part of a schema queue's completed-job retention (`keepCompletedJobs.count`) on the
 * PostgreSQL queue backend, applied by the consumer's upkeep instead of at every completion.
 *
 * BullMQ's PostgreSQL backend applies a job's `removeOnComplete: { count }` inside every
 * completion: it sorts the queue's kept completed jobs to find those beyond the count (about
 * 1.5 ms of server CPU per job with the default 1,000 kept, measured in bench/results/pg-queue-perf.md),
 * and concurrent completions wait on each other's deletes. So the consumer takes the count off each
 * job before BullMQ completes it ({@link CompletedRetention.adopt}: the age part stays, an index
 * range delete), remembers it per queue, and {@link CompletedRetention.trim} removes the completed
 * jobs beyond it every {@link CompletedRetention.TRIM_INTERVAL_MS}. Between two trims a queue may hold more than `count`
 * completed jobs (those completed meanwhile, and those finished within 0.1 s before the oldest
 * kept); the age bound holds as before.
 */
export class CompletedRetention {
  /** How often the upkeep trims. */
  static readonly TRIM_INTERVAL_MS = 5000;
  /** Per queue: the count of the latest job seen that carried one. */
  readonly #counts = new Map<string, number>();

  /**
   * Takes the count off a job's `removeOnComplete` (before BullMQ completes the job) and
   * remembers it for its queue. `true` (remove at once) and an age alone are left as they are.
   */
  adopt(job: Job): void {
    const keep = job.opts.removeOnComplete;
    // A count below one (keep none) stays with BullMQ: removing at once costs it nothing.
    if (typeof keep === 'number') {
      if (keep < 1) return;
      this.#counts.set(job.queueName, keep);
      job.opts.removeOnComplete = false;
    } else if (typeof keep === 'object' && keep !== null) {
      const { count, age } = keep as { count?: number; age?: number };
      if (count === undefined || count < 1) return;
      this.#counts.set(job.queueName, count);
      job.opts.removeOnComplete = age !== undefined ? { age } : false;
    }
  }

  /** The count remembered for a queue, if any job of it carried one. */
  countOf(queue: string): number | undefined {
    return this.#counts.get(queue);
  }

  /**
   * Removes each queue's completed jobs beyond its count: those that finished more than 0.1 s
   * before the oldest of the newest `count` (so never fewer than `count` stay; those that
   * finished within that 0.1 s stay too).
   */
  async trim(queues: readonly Queue[]): Promise<void> {
    for (const queue of queues) {
      const count = this.#counts.get(queue.name);
      if (count === undefined) continue;
      const { completed = 0 } = await queue.getJobCounts('completed');
      if (completed <= count) continue;
      // The oldest job kept (the count-th newest, by finish time): what finished well before it goes.
      // clean() removes what finished up to its own `Date.now() - grace`; the margin covers the
      // milliseconds between the two clock reads (on a busy machine the process may be descheduled
      // in between), which would otherwise take the oldest kept job too.
      const [oldestKept] = await queue.getJobs(['completed'], count - 1, count - 1, false);
      if (!oldestKept?.finishedOn) continue;
      await queue.clean(Math.max(0, Date.now() - oldestKept.finishedOn + CUT_MARGIN_MS), TRIM_LIMIT, 'completed');
    }
  }
}
