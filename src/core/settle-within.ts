/**
 * Waits for `work` at most `ms` milliseconds: resolves `true` once it settles (either way), or
 * `false` when the time ran out first. Never rejects, and the timer never keeps the process alive.
 * For bounded shutdowns and health checks, where a hung dependency must not hang the caller.
 */
export async function settleWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
    timer.unref();
  });
  try {
    return await Promise.race([work.then(() => true, () => true), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}
