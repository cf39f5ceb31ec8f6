import { readFileSync } from 'node:fs';

/** Aggregate CPU time of the whole machine, from the first line of `/proc/stat` (Linux only). */
export interface MachineCpu {
  readonly busy: number;
  readonly total: number;
}

/** Reads the machine's CPU counters; undefined where `/proc/stat` does not exist. */
export function readMachineCpu(): MachineCpu | undefined {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]?.trim().split(/\s+/).slice(1).map(Number) ?? [];
    const total = fields.reduce((a, b) => a + b, 0);
    const idle = (fields[3] ?? 0) + (fields[4] ?? 0); // idle + iowait
    return { busy: total - idle, total };
  } catch {
    return undefined;
  }
}

/**
 * Share of all cores that were busy between two readings (0–1), whoever used them: our processes,
 * Redis, the database, and anything else running. A value near 1 means the run was CPU-bound.
 */
export function busyShare(before: MachineCpu | undefined, after: MachineCpu | undefined): number | undefined {
  if (!before || !after || after.total === before.total) return undefined;
  return (after.busy - before.busy) / (after.total - before.total);
}
