import { defineConfig } from 'vitest/config';

// The chaos suite (`npm run test:chaos`): fault-injection scenarios against real Redis and
// PostgreSQL. Kept out of vitest.config.ts because each file runs for tens of seconds (minutes at
// CHAOS_SCALE=full). Files run one at a time: they kill processes and saturate the 2 cores, and
// their figures (throughput, recovery time, memory) would be meaningless if they overlapped.
export default defineConfig({
  test: {
    include: ['test/chaos/**/*.test.ts'],
    fileParallelism: false,
    // Scenarios bound their own phases; these are only the outer safety net.
    testTimeout: 15 * 60_000,
    hookTimeout: 2 * 60_000,
    globalSetup: ['test/chaos/figures-table.ts'],
    reporters: ['default'],
  },
});
