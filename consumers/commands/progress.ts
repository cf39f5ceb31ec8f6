import cliProgress from 'cli-progress';

/** A progress bar on stderr, so stdout stays clean for results and `--json`. */
export interface ProgressBar {
  update(done: number): void;
  stop(): void;
}

/**
 * A progress bar that also prints when stderr is not a terminal (CI, pipes, tests): there it
 * writes one line per frame, every 200 ms, plus the final one.
 */
export function createProgressBar(label: string, total: number, unit: string): ProgressBar {
  const bar = new cliProgress.SingleBar({
    format: `${label} [{bar}] {percentage}% | {value}/{total} ${unit} | {rate}/s | {duration_formatted}`,
    barsize: 30,
    hideCursor: true,
    noTTYOutput: true,
    notTTYSchedule: 200,
    stream: process.stderr,
  });
  const started = performance.now();
  const rate = (done: number) => Math.round(done / Math.max((performance.now() - started) / 1000, 0.001));
  bar.start(total, 0, { rate: 0 });
  return {
    update: (done) => bar.update(done, { rate: rate(done) }),
    stop: () => bar.stop(),
  };
}
