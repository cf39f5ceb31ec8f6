/**
 * Sizes the BullMQ Worker's concurrency (jobs held at once) so that the jobs held carry about
 * `targetRequests` requests, i.e. `flushSize × (maxInFlightBatches + 1)`: enough to fill the
 * batch being assembled and every batch in flight, since a job is held until its batch commits.
 *
 * With one request per job that is `targetRequests` jobs. With producer packing (say 100
 * requests per job) it is a hundred times fewer jobs: holding `targetRequests` packed jobs
 * would decode and keep a hundred times more requests than the batches can take, which only
 * costs memory and garbage collection (measured in `bench/`, see README "Benchmarks").
 */
export class JobConcurrency {
  /** Jobs averaged so far, capped: a plain mean at first, then a moving average over about this many jobs. */
  static readonly WINDOW = 100;
  #jobs = 0;
  #requestsPerJob = 1;

  constructor(readonly targetRequests: number) {}

  /**
   * Before any job is seen: one, so the first job's size is known before more are fetched (the
   * Worker fetches up to its concurrency before processing any of them). One job later the
   * right size applies.
   */
  get initial(): number {
    return 1;
  }

  /** Records a job's request count and returns the concurrency to use from now on. */
  observe(requests: number): number {
    this.#jobs = Math.min(this.#jobs + 1, JobConcurrency.WINDOW);
    this.#requestsPerJob += (Math.max(1, requests) - this.#requestsPerJob) / this.#jobs;
    return Math.max(1, Math.ceil(this.targetRequests / this.#requestsPerJob));
  }
}
