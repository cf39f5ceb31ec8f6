/**
 * Submits `total` rows in chunks of `chunkRows`, keeping `inFlight` calls outstanding: a
 * producer that is never idle waiting for one round trip, as a busy app with several request
 * handlers would be. `submit` receives the index of the first row of its chunk and the count.
 */
export async function pump(total: number, chunkRows: number, inFlight: number, submit: (first: number, count: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < total) {
      const first = next;
      const count = Math.min(chunkRows, total - first);
      next += count;
      await submit(first, count);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
}

/** Chunk size and outstanding calls of every producer in the benchmark (queue baselines and BatchFlow alike). */
export const PRODUCER_SHAPE = Object.freeze({ chunkRows: 1000, inFlight: 4 });
