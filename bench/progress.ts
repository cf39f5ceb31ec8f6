import cliProgress from 'cli-progress';

/** A progress bar for one scenario. */
export interface ScenarioProgress {
  update(done: number): void;
  stop(): void;
}

/**
 * One cli-progress bar per scenario, on stderr so stdout keeps only the final table.
 * `noTTYOutput` makes it print a line every few seconds in CI logs and pipes too.
 */
export function scenarioProgress(label: string, total: number): ScenarioProgress {
  const started = performance.now();
  const bar = new cliProgress.SingleBar(
    {
      format: `${label.padEnd(34)} [{bar}] {value}/{total} rows | {speed} rows/s | {duration}s`,
      noTTYOutput: true,
      notTTYSchedule: 2000,
      hideCursor: false,
      barsize: 24,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { speed: 0 });
  return {
    update(done) {
      const seconds = (performance.now() - started) / 1000;
      bar.update(Math.min(done, total), { speed: seconds > 0 ? Math.round(done / seconds) : 0 });
    },
    stop() {
      bar.stop();
    },
  };
}
