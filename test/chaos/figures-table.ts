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

export default function setup(): () => void {
  rmSync(FIGURES_FILE, { force: true });
  return () => {
    if (!existsSync(FIGURES_FILE)) return;
    // Files run in vitest's order (slowest first); the table reads better in scenario order.
    const rows = readFileSync(FIGURES_FILE, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as ChaosFigures);
    rows.sort((a, b) => a.scenario.localeCompare(b.scenario, 'en', { numeric: true }));
    const table = renderTable(rows);
    mkdirSync(path.dirname(TABLE_FILE), { recursive: true });
    writeFileSync(TABLE_FILE, `# Chaos suite figures (CHAOS_SCALE=${CHAOS_SCALE}, ${new Date().toISOString()})\n\n${table}\n`);
    console.log(`\nChaos figures (CHAOS_SCALE=${CHAOS_SCALE}), also in ${path.relative(process.cwd(), TABLE_FILE)}:\n\n${table}\n`);
  };
}
