import { createHash } from 'node:crypto';
import { ValidationError } from '../../errors/validation-error.js';

/**
 * The job id of a submit with an `idempotencyKey`. BullMQ job ids may not contain `:` nor look
 * like integers; a hash of the key is neither.
 * @throws ValidationError for a key that is not a non-empty string.
 */
export function idempotentJobId(key: string): string {
  if (typeof key !== 'string' || key.length === 0) throw new ValidationError('invalid_row', 'idempotencyKey must be a non-empty string');
  return `k_${createHash('sha256').update(key).digest('base64url')}`;
}
