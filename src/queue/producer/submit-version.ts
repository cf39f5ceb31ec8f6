import { encodeRequest, type EncodedValue } from '../../core/codec.js';
import type { Request } from '../../core/request.js';
import { stampedVersion } from '../../core/row-version.js';
import type { Schema } from '../../core/schema.js';

let last = 0n;

/**
 * The next submit version of this process: microseconds since the epoch, from a monotonic clock
 * anchored at process start (`performance.timeOrigin`), so a wall-clock step back (NTP) cannot
 * make it go backwards; and strictly increasing (`+1` when two submits fall on the same
 * microsecond), so two submits of one key from one process are always ordered as they were made.
 * Across processes and hosts the order is as good as their clocks agree.
 */
export function nextSubmitVersion(): bigint {
  const now = BigInt(Math.floor((performance.timeOrigin + performance.now()) * 1000));
  last = now > last ? now : last + 1n;
  return last;
}

/**
 * Encodes a request for its job, stamping the schema's version column with
 * {@link nextSubmitVersion} when the producer owns it (`versionSource: 'submit'`); a value the
 * caller set there is replaced, since only the producer's clock orders submits.
 */
export function encodeSubmitted(schema: Schema, request: Request): Record<string, EncodedValue> {
  const row = encodeRequest(request);
  const version = stampedVersion(schema);
  if (version) row[version.column] = { $int64: nextSubmitVersion().toString() };
  return row;
}
