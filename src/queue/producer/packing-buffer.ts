import type { EncodedValue } from '../../core/codec.js';

type Row = Record<string, EncodedValue>;

/** Limits of one packed job, and how long a partial job may wait for more requests. */
export interface PackingLimits {
  /** Requests one job holds at most. */
  readonly maxRequestsPerJob: number;
  /** Estimated JSON bytes one job holds at most; a single larger request still travels, alone. */
  readonly maxBytesPerJob: number;
  /** Least time a partial job waits for more requests; 0 means only while a send is in flight. */
  readonly lingerMs: number;
}

/** One `addMany()` call: settled once every job that carries one of its rows is stored. */
interface Waiter {
  /** Jobs that carry some of its rows and have not been stored yet. */
  unsent: number;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

/** A job being packed: its rows, their estimated bytes, and the calls waiting for it. */
interface PackedJob {
  readonly rows: Row[];
  /** Each row's trace context (`''` for none), aligned with `rows`; created by the first row that has one. */
  traces: string[] | undefined;
  bytes: number;
  readonly waiters: Waiter[];
}

/**
 * Packs rows into jobs the way Nagle's algorithm packs bytes into segments: a row that arrives
 * while no send to the queue is in flight goes out at once (in the same tick, so a synchronous
 * burst shares that job), and rows that arrive while a send is in flight wait for it to be stored,
 * then travel together. A job that reaches `maxRequestsPerJob` or `maxBytesPerJob` is sent at
 * once, in flight or not. So at low load every request is its own job with no added latency, and
 * under load jobs fill by themselves, without a fixed linger.
 *
 * Every `add()` / `addMany()` resolves only when the jobs that carried its rows have been stored,
 * and rejects with the first failed send.
 *
 * States: empty → (add) open job → (no send in flight, linger over) sending → empty;
 * a full job is sealed and sent whatever the state.
 */
export class PackingBuffer {
  /** The job being filled (the last one), after any sealed jobs not yet handed to `send`. */
  #open: PackedJob | undefined;
  #sealed: PackedJob[] = [];
  #inFlight = 0;
  /** Whether a microtask is queued to send what is buffered. */
  #scheduled = false;
  /** Set while `lingerMs` has not passed since the open job's first row. */
  #lingerTimer: NodeJS.Timeout | undefined;
  readonly #sending = new Set<Promise<void>>();

  constructor(
    readonly limits: PackingLimits,
    /** Stores the jobs (one `addBulk`); each element is one job's rows, with their trace contexts when any row has one. */
    readonly send: (jobs: Row[][], traces: ReadonlyArray<string[] | undefined>) => Promise<void>,
  ) {}

  /** Sends in progress. */
  get inFlight(): number {
    return this.#inFlight;
  }

  add(row: Row, bytes = 0, trace?: string): Promise<void> {
    return this.addMany([row], [bytes], trace);
  }

  /**
   * Adds rows (with their estimated JSON sizes); resolves once every job carrying one of them is
   * stored. One promise per call, not per row: with thousands of rows per `submitMany()` the
   * per-row promises cost more CPU than the packing saves (see docs/benchmarks.md). `trace` is
   * the W3C traceparent of the call (one for all its rows), kept per row in the packed job.
   */
  addMany(rows: readonly Row[], bytes?: readonly number[], trace?: string): Promise<void> {
    if (rows.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { unsent: 0, resolve, reject };
      const { maxRequestsPerJob, maxBytesPerJob } = this.limits;
      for (let i = 0; i < rows.length; i++) {
        const size = bytes?.[i] ?? 0;
        let job = this.#open;
        if (job && (job.rows.length >= maxRequestsPerJob || job.bytes + size > maxBytesPerJob)) {
          this.#sealed.push(job);
          job = undefined;
        }
        if (!job) {
          job = { rows: [], traces: undefined, bytes: 0, waiters: [] };
          this.#open = job;
          this.#clearLinger();
          if (this.limits.lingerMs > 0) this.#lingerTimer = setTimeout(() => this.#lingerOver(), this.limits.lingerMs);
        }
        if (trace !== undefined && job.traces === undefined) job.traces = job.rows.map(() => '');
        job.traces?.push(trace ?? '');
        job.rows.push(rows[i] as Row);
        job.bytes += size;
        if (job.waiters[job.waiters.length - 1] !== waiter) {
          job.waiters.push(waiter);
          waiter.unsent++;
        }
      }
      if (this.#open && this.#open.rows.length >= maxRequestsPerJob) {
        this.#sealed.push(this.#open);
        this.#open = undefined;
      }
      this.#schedule();
    });
  }

  /** Sends everything buffered now, in flight or lingering or not. */
  flush(): void {
    this.#clearLinger();
    if (this.#open) this.#sealed.push(this.#open);
    this.#open = undefined;
    this.#sendSealed();
  }

  /** Sends what is buffered and waits for every send in progress. */
  async close(): Promise<void> {
    this.flush();
    while (this.#sending.size > 0) await Promise.allSettled([...this.#sending]);
  }

  /** Sends in a microtask: the rest of a synchronous burst (say `Promise.all` over submits) joins the job. */
  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(() => {
      this.#scheduled = false;
      this.#pump();
    });
  }

  /** Full jobs go at once; the open job goes once no send is in flight and its linger is over. */
  #pump(): void {
    if (this.#open && this.#inFlight === 0 && this.#lingerTimer === undefined) {
      this.#sealed.push(this.#open);
      this.#open = undefined;
    }
    this.#sendSealed();
  }

  #lingerOver(): void {
    this.#lingerTimer = undefined;
    this.#pump();
  }

  #clearLinger(): void {
    clearTimeout(this.#lingerTimer);
    this.#lingerTimer = undefined;
  }

  #sendSealed(): void {
    if (this.#sealed.length === 0) return;
    const jobs = this.#sealed;
    this.#sealed = [];
    // A linger timer belongs to the open job; once it is sent, the next open job starts its own.
    if (!this.#open) this.#clearLinger();
    this.#inFlight++;
    const sending = this.send(
      jobs.map((job) => job.rows),
      jobs.map((job) => job.traces),
    ).then(
      () => {
        for (const job of jobs) for (const w of job.waiters) if (--w.unsent === 0) w.resolve();
      },
      (err: unknown) => {
        for (const job of jobs) for (const w of job.waiters) w.reject(err);
      },
    );
    this.#sending.add(sending);
    void sending.finally(() => {
      this.#sending.delete(sending);
      this.#inFlight--;
      this.#pump();
    });
  }
}
