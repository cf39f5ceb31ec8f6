import type { Value } from '../../core/column-type.js';

/**
 * Keeps only the last row for each key, in their original order. An upsert that touches the
 * same key twice in one statement is an error on PostgreSQL ("ON CONFLICT DO UPDATE command
 * cannot affect row a second time"), while a queue that delivers at least once can easily
 * hold two versions of one row in one batch; the later one is the one to keep.
 * Rows with a null in a key column never conflict (NULLs are distinct) and are all kept.
 */
export function lastRowPerKey<R extends readonly Value[]>(rows: readonly R[], keyIndexes: readonly number[]): R[] {
  const lastIndex = new Map<string, number>();
  const keys: (string | undefined)[] = rows.map((row) => rowKey(row, keyIndexes));
  keys.forEach((key, i) => {
    if (key !== undefined) lastIndex.set(key, i);
  });
  if (lastIndex.size === rows.length) return [...rows];
  return rows.filter((_, i) => {
    const key = keys[i];
    return key === undefined || lastIndex.get(key) === i;
  });
}

function rowKey(row: readonly Value[], keyIndexes: readonly number[]): string | undefined {
  const parts: string[] = [];
  for (const index of keyIndexes) {
    const value = row[index] ?? null;
    if (value === null) return undefined;
    parts.push(keyPart(value));
  }
  return JSON.stringify(parts);
}

/** Numbers, bigints and strings share one form because the database compares `1`, `1n` and `'1'` alike in a typed key column. */
function keyPart(value: Exclude<Value, null>): string {
  if (value instanceof Date) return `t${value.getTime()}`;
  if (value instanceof Uint8Array) return `x${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex')}`;
  return `v${String(value)}`;
}
