import type { Value } from '../../core/column-type.js';
import { SinkError } from '../../errors/sink-error.js';

/**
 * PostgreSQL's size limits, as they bite a batch: one field (and so one array parameter, which
 * carries a whole column of a statement) holds at most 1 GB. A statement whose column array is
 * over it fails for every row in it (SQLSTATE 54000, program_limit_exceeded), so the driver
 * chunks statements well under it; a single value over it can never be written, so the driver
 * refuses its row before sending anything (`non_retryable`, naming the limit), and bisection
 * dead-letters that row alone while its neighbours commit.
 */

/** PostgreSQL's largest field, in bytes (`MaxAllocSize`, 1 GB less one byte). */
export const POSTGRES_MAX_FIELD_BYTES = 0x3fffffff;

/**
 * Budget for one statement's rows, estimated from the values (see `chunkRangesByBytes`): a
 * quarter of the field limit, so no column's array nears it whatever the escaping.
 */
export const POSTGRES_MAX_STATEMENT_BYTES = 256 * 1024 * 1024;

/** SQLSTATE program_limit_exceeded: what the server answers a value over the limit with. */
export const PROGRAM_LIMIT_EXCEEDED = '54000';

/**
 * Throws a `non_retryable` {@link SinkError} (54000) when a value of `rows` is larger than one
 * field may be (`maxFieldBytes`): as text, UTF-8; as `bytea`, its hex form (two characters a byte).
 * Only values whose cheap upper bound is over the limit are measured exactly.
 */
export function refuseOversizedFields(sink: string, rows: readonly (readonly Value[])[], maxFieldBytes = POSTGRES_MAX_FIELD_BYTES): void {
  for (const row of rows) {
    for (const value of row) {
      let bytes: number | undefined;
      if (typeof value === 'string' && value.length * 3 > maxFieldBytes) bytes = Buffer.byteLength(value, 'utf8');
      else if (value instanceof Uint8Array && value.byteLength * 2 + 2 > maxFieldBytes) bytes = value.byteLength * 2 + 2;
      if (bytes !== undefined && bytes > maxFieldBytes) {
        throw new SinkError('non_retryable', `${sink}: a value of ${bytes} bytes is over PostgreSQL's field size limit (${maxFieldBytes} bytes)`, {
          sinkCode: PROGRAM_LIMIT_EXCEEDED,
        });
      }
    }
  }
}
