// Issue 19, class 3: what version a replayed row carries (pure logic: decideReplay). A replay keeps
// the version unless the edit sets one, whether the edit comes from a transform or from a Bull Board
// "Update data" that dropped the field; a row left with no version is `stale`, never replayed as NULL.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Row } from '../../src/core/schema.js';
import { SQLSchema } from '../../src/core/schema.js';
import type { DeadLetterEntry } from '../../src/queue/dead-letter-entry.js';
import { decideReplay } from '../../src/queue/dead-letter/dead-letter-edit.js';

const schema = SQLSchema('t', 'update', { id: 'int64', name: 'string' }, { versionColumn: 'v' });
const version = fc.bigInt({ min: 1n, max: 1n << 60n });
const enc = (v: bigint) => ({ $int64: v.toString() });

describe('decideReplay: the version of a replayed row', () => {
  it('is the edit version, else the stored row version, else the entry version; with none it is stale', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.option(version), // the version in the stored request (absent: Bull Board edit dropped it)
        fc.option(version), // the version the entry recorded (absent: an older entry)
        fc.constantFrom('none', 'keeps-row', 'builds-new-row', 'sets-null', 'sets-version'), // the transform
        version, // what 'sets-version' sets
        async (stored, recorded, edit, set) => {
          const at = new Date(0).toISOString();
          const entry: DeadLetterEntry = {
            schema: 't',
            request: { id: enc(1n), name: 'a', ...(stored !== null && { v: enc(stored) }) },
            class: 'non_retryable',
            reason: 'non_retryable',
            errorCode: '23514',
            message: 'check',
            attempts: 1,
            firstFailedAt: at,
            lastFailedAt: at,
            sourceJobId: '1',
            replays: 0,
            ...(recorded !== null && { version: enc(recorded) }),
          };
          const transforms: Record<string, ((row: Row) => Row) | undefined> = {
            none: undefined,
            'keeps-row': (row) => ({ ...row, name: 'b' }),
            'builds-new-row': (row) => ({ id: row.id as bigint, name: 'b' }),
            'sets-null': (row) => ({ ...row, name: 'b', v: null }),
            'sets-version': (row) => ({ ...row, name: 'b', v: set }),
          };
          const decision = await decideReplay({ id: 'd_1_0', state: 'failed', entry }, schema, transforms[edit]);
          const kept = stored ?? recorded;
          const expected = edit === 'sets-version' ? set : kept;
          if (expected === null) {
            expect(decision.action).toBe('stale');
          } else {
            expect(decision.action).toBe('replay');
            if (decision.action === 'replay') expect(decision.request?.get('v')).toBe(expected);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
