/** Budget of the jobs one consumer holds at once. */
export interface JobBudget {
  /**
   * Requests the held jobs should carry: `flushSize × (maxInFlightBatches + 1)`. Read on every
   * hold and release, so a getter may follow a changing size (`flushSize: 'auto'`).
   */
  readonly requests: number;
  /** Estimated JSON bytes the held jobs may carry at most. */
  readonly bytes: number;
}

/**
 * Sizes the BullMQ Worker's concurrency (jobs held at once) by what the jobs carry, not by their
 * count: the jobs held carry about `budget.requests` requests (enough to fill the batch being
 * assembled and every batch in flight, since a job is held until its batch commits) and at most
 * `budget.bytes` estimated bytes.
 *
 * With one request per job that is `budget.requests` jobs. With producer packing (say 100
 * requests per job) it is a hundred times fewer jobs: holding that many packed jobs would decode
 * and keep a hundred times more requests than the batches can take. And packed jobs near the
 * producer's byte cap (1 MiB each) would otherwise let 1,500 held jobs hold 1.5 GB; the byte
 * budget keeps the heap bounded whatever the jobs carry (measured in `bench/`, see docs/benchmarks.md).
 *
 * What is held is counted exactly (jobs being processed); what a job not yet fetched will carry
 * is a moving average of the jobs seen. Concurrency is re-set on every hold and release, before
 * the Worker decides whether to fetch again.
 */
export class JobConcurrency {
  /** Jobs averaged so far, capped: a plain mean at first, then a moving average over about this many jobs. */
  static readonly WINDOW = 100;
  #jobs = 0;
  #requestsPerJob = 1;
  #bytesPerJob = 1;
  #heldJobs = 0;
  #heldRequests = 0;
  #heldBytes = 0;

  constructor(
    readonly budget: JobBudget,
    /** Applies a new concurrency (sets the Worker's). */
    readonly apply: (concurrency: number) => void = () => {},
  ) {}

  /**
   * Before any job is seen: one, so the first job's size is known before more are fetched (the
   * Worker fetches up to its concurrency before processing any of them). One job later the
   * right size applies.
   */
  get initial(): number {
    return 1;
  }

  /** Jobs, requests and estimated bytes held right now. */
  get held(): { jobs: number; requests: number; bytes: number } {
    return { jobs: this.#heldJobs, requests: this.#heldRequests, bytes: this.#heldBytes };
  }

  /**
   * Records a job that starts being processed, from its data (`rows`), applies the concurrency
   * to use from now on and returns the function that releases the job once it is settled.
   */
  hold(data: unknown): () => void {
    const rows = (data as { rows?: unknown } | null)?.rows;
    const requests = Array.isArray(rows) ? Math.max(1, rows.length) : 1;
    const bytes = Array.isArray(rows) ? estimateRowsBytes(rows) : 1;
    this.#jobs = Math.min(this.#jobs + 1, JobConcurrency.WINDOW);
    this.#requestsPerJob += (requests - this.#requestsPerJob) / this.#jobs;
    this.#bytesPerJob += (bytes - this.#bytesPerJob) / this.#jobs;
    this.#heldJobs++;
    this.#heldRequests += requests;
    this.#heldBytes += bytes;
    this.apply(this.concurrency);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#heldJobs--;
      this.#heldRequests -= requests;
      this.#heldBytes -= bytes;
      this.apply(this.concurrency);
    };
  }

  /** Share of a budget the held jobs must reach to count as {@link JobConcurrency.saturated}. */
  static readonly SATURATED_SHARE = 0.75;

  /**
   * The held jobs use most of the budget (three quarters: jobs still being fetched are not held
   * yet, so a worker at its limit shows a little under it). With a full queue the Worker refills to
   * its concurrency at once and this stays true; at half load the jobs held are about the batch
   * being filled. It tells `flushSize: 'auto'` that work waits in the queue.
   */
  get saturated(): boolean {
    const share = JobConcurrency.SATURATED_SHARE;
    return this.#heldRequests >= this.budget.requests * share || this.#heldBytes >= this.budget.bytes * share;
  }

  /** The jobs held, plus as many more as fit both budgets (by the averages), and never less than one. */
  get concurrency(): number {
    const byRequests = (this.budget.requests - this.#heldRequests) / this.#requestsPerJob;
    const byBytes = (this.budget.bytes - this.#heldBytes) / this.#bytesPerJob;
    // Requests round up (a batch should fill), bytes round down (a bound the heap keeps).
    return Math.max(1, this.#heldJobs + Math.min(Math.ceil(byRequests), Math.floor(byBytes)));
  }
}

/**
 * Estimated JSON bytes of encoded rows, from string lengths (one byte per character; other
 * values count 8): a sizing figure for the budget, not an exact size. One pass, no allocation.
 */
export function estimateRowsBytes(rows: readonly unknown[]): number {
  let bytes = 2;
  for (const row of rows) {
    if (row === null || typeof row !== 'object') {
      bytes += 8;
      continue;
    }
    for (const column in row) {
      const value = (row as Record<string, unknown>)[column];
      bytes += column.length + 4;
      if (typeof value === 'string') bytes += value.length + 2;
      else if (value !== null && typeof value === 'object') {
        bytes += 16;
        for (const tag in value) {
          const inner = (value as Record<string, unknown>)[tag];
          if (typeof inner === 'string') bytes += inner.length;
        }
      } else bytes += 8;
    }
  }
  return bytes;
}
