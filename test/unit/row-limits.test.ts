import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SinkError } from '../../src/errors/sink-error.js';
import { refuseOversizedRows, rowLiteralBytes, statementBudget } from '../../src/drivers/mysql/packet-limit.js';
import { refuseOversizedFields } from '../../src/drivers/postgres/field-limit.js';

const refusal = (run: () => void): SinkError | undefined => {
  try {
    run();
    return undefined;
  } catch (err) {
    return err as SinkError;
  }
};

describe('rows the server cannot take', () => {
  it('MySQL: a row is refused exactly when its escaped literal cannot fit the packet less the statement overhead', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 3000 }), fc.integer({ min: 1024, max: 12_000 }), (text, packet) => {
        const row = [1, text];
        const err = refusal(() => refuseOversizedRows('mysql', [row], packet));
        const budget = packet - Math.min(16 * 1024, Math.floor(packet / 4));
        expect(err !== undefined).toBe(rowLiteralBytes(row) > budget);
        if (err) expect(err).toMatchObject({ reason: 'non_retryable', sinkCode: '1153' });
        if (err) expect(err.message).toContain('max_allowed_packet');
      }),
    );
  });

  it("MySQL: escapes and multi-byte characters count at their real size (mysql2's escaping)", () => {
    expect(rowLiteralBytes(["a'b"])).toBe(2 + 1 + 4 + 2);
    expect(rowLiteralBytes(['é'])).toBe(2 + 1 + 2 + 2);
    expect(statementBudget(4 * 1024 * 1024, 64 * 1024)).toBe(48 * 1024);
    expect(statementBudget(4 * 1024 * 1024, undefined)).toBe(4 * 1024 * 1024);
  });

  it('PostgreSQL: a value over the field limit is refused (54000, naming the limit); others pass', () => {
    expect(refusal(() => refuseOversizedFields('postgres', [[1, 'x'.repeat(101)]], 100))).toMatchObject({ reason: 'non_retryable', sinkCode: '54000' });
    expect(refusal(() => refuseOversizedFields('postgres', [[1, 'x'.repeat(101)]], 100))?.message).toContain('field size limit');
    expect(refusal(() => refuseOversizedFields('postgres', [[1, 'x'.repeat(100)]], 100))).toBeUndefined();
    expect(refusal(() => refuseOversizedFields('postgres', [[new Uint8Array(50)]], 100))).toMatchObject({ sinkCode: '54000' });
  });
});
