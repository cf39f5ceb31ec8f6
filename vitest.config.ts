import { defineConfig } from 'vitest/config';

// Integration tests share real servers; run files one at a time so timing-sensitive
// tests (flush interval, breaker) are not starved on a 2-core machine.
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts', 'test/model/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
