import type { Value } from '../../core/column-type.js';

/** A half-open range `[start, end)` of rows in a batch. */
export interface RowRange {
  readonly start: number;
  readonly end: number;
}

/**
 * How many rows fit in one statement: at most `maxRows`, and no more than the
 * dialect's bound-parameter limit allows for `columnCount` values per row.
 */
export function rowsPerStatement(columnCount: number, maxParameters: number, maxRows: number): number {
  return Math.max(1, Math.min(maxRows, Math.floor(maxParameters / Math.max(1, columnCount))));
}

/** Splits `total` rows into consecutive ranges of at most `size` rows. */
export function chunkRanges(total: number, size: number): RowRange[] {
  const ranges: RowRange[] = [];
  for (let start = 0; start < total; start += size) ranges.push({ start, end: Math.min(total, start + size) });
  return ranges;
}

/**
 * Splits rows into ranges of at most `maxRows` rows whose estimated SQL-literal size stays
 * under `maxBytes` (a single row larger than the budget still gets a range of its own, and
 * the server's own limit then decides). Used where values are inlined into the statement text.
 */
export function chunkRangesByBytes(rows: readonly (readonly Value[])[], maxRows: number, maxBytes: number): RowRange[] {
  const ranges: RowRange[] = [];
  let start = 0;
  let bytes = 0;
  for (let i = 0; i < rows.length; i++) {
    const rowBytes = estimateRowBytes(rows[i] as readonly Value[]);
    if (i > start && (i - start >= maxRows || bytes + rowBytes > maxBytes)) {
      ranges.push({ start, end: i });
      start = i;
      bytes = 0;
    }
    bytes += rowBytes;
  }
  if (start < rows.length) ranges.push({ start, end: rows.length });
  return ranges;
}

/** Upper-bound estimate of a row's size as SQL literals (quotes, escapes, separators). */
function estimateRowBytes(row: readonly Value[]): number {
  let bytes = 4;
  for (const value of row) {
    if (typeof value === 'string') bytes += value.length * 3 + 4; // UTF-16 unit → at most 3 UTF-8 bytes
    else if (value instanceof Uint8Array) bytes += value.byteLength * 2 + 5; // X'…' hex
    else bytes += 32;
  }
  return bytes;
}

/**
 * Ranges of exactly `size` rows, then the remainder split into descending powers of two
 * (37 → 32, 4, 1). A driver that prepares one statement per row count then needs at most
 * `log2(size) + 2` statements per schema, so its statement cache stays small and warm.
 */
export function preparedChunkRanges(total: number, size: number): RowRange[] {
  const full = total - (total % size);
  const ranges = chunkRanges(full, size);
  let start = full;
  for (let bit = 2 ** Math.floor(Math.log2(Math.max(1, size))); bit >= 1; bit /= 2) {
    if (total - start >= bit) {
      ranges.push({ start, end: start + bit });
      start += bit;
    }
  }
  return ranges;
}
