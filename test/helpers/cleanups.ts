import { afterEach } from 'vitest';

/**
 * Registers an afterEach that runs every deferred cleanup of the test, newest first, and
 * returns `defer`. Call once at the top level of a test file.
 */
export function useCleanups(): (cleanup: () => unknown) => void {
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  return (cleanup) => void cleanups.push(cleanup);
}
