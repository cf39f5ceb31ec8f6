import type { EncodedValue } from '../core/codec.js';
import { ValidationError } from '../errors/validation-error.js';

/**
 * Rejects a row whose JSON form exceeds `maxBytes`. Cheap on the hot path: it first bounds
 * the size from string lengths (UTF-8 needs at most 3 bytes per UTF-16 unit, JSON escaping
 * at most 6 for control characters) and serialises only when that bound is over the limit.
 */
export function assertPayloadSize(schema: string, row: Record<string, EncodedValue>, maxBytes: number): void {
  let bound = 2;
  for (const column in row) {
    const value = row[column];
    bound += column.length + 4;
    if (typeof value === 'string') bound += value.length * 6 + 2;
    else if (value !== null && typeof value === 'object') bound += (Object.values(value)[0] as string).length + 16;
    else bound += 24;
  }
  if (bound <= maxBytes) return;
  const bytes = Buffer.byteLength(JSON.stringify(row));
  if (bytes > maxBytes) {
    throw new ValidationError('payload_too_large', `schema "${schema}": request is ${bytes} bytes, over maxPayloadBytes (${maxBytes})`, { schema });
  }
}
