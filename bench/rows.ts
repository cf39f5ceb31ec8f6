import type { BenchRow } from './sinks/bench-sink.js';

export { BENCH_COLUMNS, type BenchRow, type BenchRowJson } from './sinks/bench-sink.js';

/** Row `id`, stamped `createdAt` (now, by default). */
export function makeRow(id: number, createdAt = new Date()): BenchRow {
  return { id, account: id % 1000, amount: (id % 100_000) / 100, label: `order-${id}`, created_at: createdAt };
}

/** Rows `first .. first+count-1`, all stamped with the current time (generation is part of every timed loop alike). */
export function makeRows(first: number, count: number): BenchRow[] {
  const now = new Date();
  const rows = new Array<BenchRow>(count);
  for (let i = 0; i < count; i++) rows[i] = makeRow(first + i, now);
  return rows;
}
