// Global setup of the chaos suite: starts each run with no figures, and at the end prints the
// figures every scenario recorded as one table (also written to test-output/chaos-figures.md).
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CHAOS_SCALE, FIGURES_FILE, type ChaosFigures } from '../helpers/chaos-figures.js';

const TABLE_FILE = path.resolve('test-output/chaos-figures.md');
const n = (value: number) => value.toLocaleString('en-US');

export function renderTable(rows: ReadonlyArray<ChaosFigures & { scale?: string }>): string {
  const header = '| scenario | scale | submitted | landed | duplicates | dead-lettered | faults | duration | notes |\n|---|---|--:|--:|--:|--:|--:|--:|---|';
  const lines = rows.map((r) =>
    `| ${r.scenario} | ${r.scale ?? CHAOS_SCALE} | ${n(r.submitted)} | ${n(r.landed)} | ${n(r.duplicates)} | ${n(r.deadLettered)} | ${n(r.faults)} | ${(r.durationMs / 1000).toFixed(1)} s | ${r.notes ?? ''} |`,
  );
  return [header, ...lines].join('\n');
}

/** The real-fault rows (those with `fault`), by the rule's figures; empty when there are none. */
export function renderFaultTable(rows: ReadonlyArray<ChaosFigures & { scale?: string }>): string {
  const faults = rows.filter((r) => r.fault !== undefined);
  if (faults.length === 0) return '';
  const header =
    "| fault | sink | scale | good DLQ'd | poison DLQ'd / injected | lost | duplicates | breaker opened | recovery |\n|---|---|---|--:|--:|--:|--:|---|--:|";
  const lines = faults.map((r) => {
    const f = r.fault as NonNullable<ChaosFigures['fault']>;
    const recovery = f.recoverySeconds === null ? 'none' : `${f.recoverySeconds.toFixed(2)} s`;
    return `| ${r.scenario} | ${f.sink} | ${r.scale ?? CHAOS_SCALE} | ${n(f.goodDeadLettered)} | ${n(f.poisonDeadLettered)} / ${n(f.poisonInjected)} | ${n(f.lost)} | ${n(r.duplicates)} | ${f.breakerOpened ? 'yes' : 'no'} | ${recovery} |`;
  });
  return [header, ...lines].join('\n');
}

export default function setup(): () => void {
  rmSync(FIGURES_FILE, { force: true });
  return () => {
    if (!existsSync(FIGURES_FILE)) return;
    // Files run in vitest's order (slowest first); the table reads better in scenario order.
    const rows = readFileSync(FIGURES_FILE, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as ChaosFigures);
    rows.sort((a, b) => a.scenario.localeCompare(b.scenario, 'en', { numeric: true }));
    const faultTable = renderFaultTable(rows);
    const table = faultTable === '' ? renderTable(rows) : `${renderTable(rows)}\n\nReal faults (the DLQ is for bad data, never for a sick sink):\n\n${faultTable}`;
    mkdirSync(path.dirname(TABLE_FILE), { recursive: true });
    writeFileSync(TABLE_FILE, `# Chaos suite figures (CHAOS_SCALE=${CHAOS_SCALE}, ${new Date().toISOString()})\n\n${table}\n`);
    console.log(`\nChaos figures (CHAOS_SCALE=${CHAOS_SCALE}), also in ${path.relative(process.cwd(), TABLE_FILE)}:\n\n${table}\n`);
  };
}
