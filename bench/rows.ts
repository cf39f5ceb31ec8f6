/**
 * The benchmark's row: five columns, as in the design notes' orientation figures. `created_at`
 * is stamped when the row is submitted, so the consumer can measure submit→commit latency.
 */
export interface BenchRow {
  readonly id: number;
  readonly account: number;
  readonly amount: number;
  readonly label: string;
  readonly created_at: Date;
}

/** BatchFlow column types of {@link BenchRow} (ids stay JavaScript numbers, as most apps send them). */
export const BENCH_COLUMNS = Object.freeze({ id: 'int64', account: 'int32', amount: 'float64', label: 'string', created_at: 'timestamp' } as const);

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

/** A row after a trip through JSON (naive BullMQ jobs carry plain JSON). */
export interface BenchRowJson {
  readonly id: number;
  readonly account: number;
  readonly amount: number;
  readonly label: string;
  readonly created_at: string;
}
