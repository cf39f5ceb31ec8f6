import type { EncodedValue } from '../core/codec.js';

type Row = Record<string, EncodedValue>;

/** One `addMany()` call: settled once every send that carried one of its rows is stored. */
interface Waiter {
  /** Sends that carry some of its rows and have not been stored yet. */
  unsent: number;
  /** The buffer generation it last joined, so it joins each send once. */
  generation: number;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

/**
 * Lingers up to `lingerMs` (or until `maxRequestsPerJob` rows) before sending rows as packed jobs.
 * Every `add()` / `addMany()` resolves only when the sends that carried its rows have been stored.
 */
export class PackingBuffer {
  #rows: Row[] = [];
  /** Waiters with a row in `#rows`. */
  #waiters: Waiter[] = [];
  #generation = 0;
  #timer: NodeJS.Timeout | undefined;
  #sending = new Set<Promise<void>>();

  constructor(
    readonly options: { maxRequestsPerJob: number; lingerMs: number },
    readonly send: (rows: Row[]) => Promise<void>,
  ) {}

  add(row: Row): Promise<void> {
    return this.addMany([row]);
  }

  /**
   * Adds rows; resolves once every send carrying one of them is stored, rejects with the first
   * failed send. One promise per call, not per row: with thousands of rows per `submitMany()`
   * the per-row promises cost more CPU than the packing saves (see README "Benchmarks").
   */
  addMany(rows: readonly Row[]): Promise<void> {
    if (rows.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { unsent: 0, generation: -1, resolve, reject };
      for (const row of rows) {
        this.#rows.push(row);
        if (waiter.generation !== this.#generation) {
          waiter.generation = this.#generation;
          waiter.unsent++;
          this.#waiters.push(waiter);
        }
        if (this.#rows.length >= this.options.maxRequestsPerJob) this.flush();
      }
      if (this.#rows.length > 0) this.#timer ??= setTimeout(() => this.flush(), this.options.lingerMs);
    });
  }

  /** Sends what is buffered now. */
  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#rows.length === 0) return;
    const rows = this.#rows;
    const waiters = this.#waiters;
    this.#rows = [];
    this.#waiters = [];
    this.#generation++;
    const sending = this.send(rows).then(
      () => {
        for (const w of waiters) if (--w.unsent === 0) w.resolve();
      },
      (err: unknown) => waiters.forEach((w) => w.reject(err)),
    );
    this.#sending.add(sending);
    void sending.finally(() => this.#sending.delete(sending));
  }

  /** Sends what is buffered and waits for every send in progress. */
  async close(): Promise<void> {
    this.flush();
    await Promise.all([...this.#sending]);
  }
}
