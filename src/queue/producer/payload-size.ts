import type { EncodedValue } from '../../core/codec.js';
import { ValidationError } from '../../errors/validation-error.js';

/**
 * Rejects a row whose JSON form exceeds `maxBytes`, and returns an estimate of that size (for the
 * producer's per-job byte cap and nothing that must be exact). Cheap on the hot path: one pass
 * yields both the estimate (strings counted one byte per UTF-16 unit) and an upper bound (UTF-8
 * needs at most 3 bytes per unit, JSON escaping at most 6 for control characters); it serialises
 * only when that bound is over the limit, and then returns the exact size.
 */
export function assertPayloadSize(schema: string, row: Record<string, EncodedValue>, maxBytes: number): number {
  let bound = 2;
  let estimate = 2;
  for (const column in row) {
    const value = row[column];
    const key = column.length + 4;
    if (typeof value === 'string') {
      bound += key + value.length * 6 + 2;
      estimate += key + value.length + 2;
    } else if (value !== null && typeof value === 'object') {
      let inner = 16; // {"$int64":""} and the like; no Object.values(): no array per value
      for (const tag in value) inner += (value as Record<string, string>)[tag]?.length ?? 0;
      bound += key + inner;
      estimate += key + inner;
    } else {
      bound += key + 24;
      estimate += key + 8;
    }
  }
  if (bound <= maxBytes) return estimate;
  const bytes = Buffer.byteLength(JSON.stringify(row));
  if (bytes > maxBytes) {
    throw new ValidationError('payload_too_large', `schema "${schema}": request is ${bytes} bytes, over maxPayloadBytes (${maxBytes})`, { schema });
  }
  return bytes;
}
