import type { EncodedValue } from '../core/codec.js';

type Row = Record<string, EncodedValue>;

/**
 * Lingers up to `lingerMs` (or until `maxRequestsPerJob` rows) before sending rows as packed jobs.
 * Every `add()` resolves only when the send that carried its row has been stored.
 */
export class PackingBuffer {
  #rows: Row[] = [];
  #waiters: Array<{ resolve: () => void; reject: (err: unknown) => void }> = [];
  #timer: NodeJS.Timeout | undefined;
  #sending = new Set<Promise<void>>();

  constructor(
    readonly options: { maxRequestsPerJob: number; lingerMs: number },
    readonly send: (rows: Row[]) => Promise<void>,
  ) {}

  add(row: Row): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#rows.push(row);
      this.#waiters.push({ resolve, reject });
      if (this.#rows.length >= this.options.maxRequestsPerJob) this.flush();
      else this.#timer ??= setTimeout(() => this.flush(), this.options.lingerMs);
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
    const sending = this.send(rows).then(
      () => waiters.forEach((w) => w.resolve()),
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
