import { appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';

/** Scale of the chaos suite: `full` (the numbers) or `ci` (bounded, whole suite < 5 min). */
export type ChaosScale = 'full' | 'ci';

/** Read once; anything but `ci` runs at full scale, so a typo never silently shrinks a run. */
export const CHAOS_SCALE: ChaosScale = process.env.CHAOS_SCALE === 'ci' ? 'ci' : 'full';

/** Picks the value for the current scale. */
export function atScale<T>(full: T, ci: T): T {
  return CHAOS_SCALE === 'ci' ? ci : full;
}

/** What one scenario measured; one row of the figures table. */
export interface ChaosFigures {
  scenario: string;
  /** Requests (or inputs) submitted. */
  submitted: number;
  /** Rows found in the sink at the end. */
  landed: number;
  /** Rows in the sink more than once (count minus distinct keys). */
  duplicates: number;
  deadLettered: number;
  /** Faults injected: kills, outages, restarts, bad inputs. */
  faults: number;
  durationMs: number;
  /** Scenario-specific figures (recovery time, redeliveries, memory), shown as text. */
  notes?: string;
}

/** Where scenarios append their figures (one JSON object per line); the global teardown reads it. */
export const FIGURES_FILE = path.resolve('test-output/chaos/figures.jsonl');

/**
 * Appends a scenario's figures. Call it before the assertions, so a failing scenario still
 * shows what it measured.
 */
export function recordFigures(figures: ChaosFigures): void {
  mkdirSync(path.dirname(FIGURES_FILE), { recursive: true });
  appendFileSync(FIGURES_FILE, `${JSON.stringify({ ...figures, scale: CHAOS_SCALE })}\n`);
}

/** Milliseconds since `started`, for `durationMs`. */
export function since(started: number): number {
  return Math.round(performance.now() - started);
}
