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
  /** A real-fault scenario's figures by the rule "the DLQ is for bad data, never for a sick sink". */
  fault?: FaultFigures;
}

/**
 * The figures of one real-fault scenario (issue 9), shown in the table's own "faults" section.
 * Must hold: `goodDeadLettered` 0, `poisonDeadLettered` = `poisonInjected`, `lost` 0, duplicates
 * ({@link ChaosFigures.duplicates}) 0, `recoverySeconds` ≤ 5.
 */
export interface FaultFigures {
  /** The sink's name, e.g. `postgres`. */
  sink: string;
  /** Good rows found in the DLQ (must be 0). */
  goodDeadLettered: number;
  /** Distinct poison rows found in the DLQ (must equal `poisonInjected`). */
  poisonDeadLettered: number;
  /** Poison rows submitted. */
  poisonInjected: number;
  /** Good rows neither in the sink nor in the DLQ after the drain (must be 0). */
  lost: number;
  /** Whether the consumer's breaker opened during the run. */
  breakerOpened: boolean;
  /** Seconds from the fault clearing to the first commit after it (the slowest phase); null when none came. */
  recoverySeconds: number | null;
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
