import { describe, expectTypeOf, it } from 'vitest';
import type { Producer} from '../../src/index.js';
import { Request, SQLSchema, type RowOf } from '../../src/index.js';

// Compile-time checks: `npm test` type-checks this file (tsc), so a wrong row type fails the build.
const users = SQLSchema('users', 'update', { id: 'int64', name: 'string', created_at: 'timestamp', nickname: 'string?' });
type UserRow = RowOf<{ id: 'int64'; name: 'string'; created_at: 'timestamp'; nickname: 'string?' }>;

describe('typed schemas infer the row type', () => {
  it('makes nullable columns optional and types every value', () => {
    expectTypeOf<UserRow['id']>().toEqualTypeOf<bigint | number>();
    expectTypeOf<UserRow['created_at']>().toEqualTypeOf<Date>();
    expectTypeOf<UserRow['nickname']>().toEqualTypeOf<string | null | undefined>();
    expectTypeOf<{ id: bigint; name: string; created_at: Date }>().toExtend<UserRow>();
  });

  it('checks submit() rows at compile time', () => {
    const submit = (p: Producer) => {
      void p.submit(users, { id: 1n, name: 'x', created_at: new Date() });
      // @ts-expect-error name must be a string
      void p.submit(users, { id: 1n, name: 42, created_at: new Date() });
      // @ts-expect-error created_at is required
      void p.submit(users, { id: 1n, name: 'x' });
      void p.submit(new Request(users).setInt64('id', 1n));
    };
    expectTypeOf(submit).toBeFunction();
  });
});
