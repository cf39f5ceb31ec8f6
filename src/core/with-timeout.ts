/**
 * Settles like `work`, or rejects with `onTimeout()` once `ms` pass first. The timer is cleared
 * either way and never keeps the process alive; a late rejection of `work` after the timeout is
 * swallowed (the caller has already been answered). The one timeout race of the code base, for
 * submits, readiness checks and HTTP ingest.
 *
 * @example
 * ```ts
 * await withTimeout(queue.add(name, data), 10_000, () => new QueueUnavailableError('no answer'));
 * ```
 */
export async function withTimeout<T>(work: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
    timer.unref();
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
    work.catch(() => {});
  }
}
