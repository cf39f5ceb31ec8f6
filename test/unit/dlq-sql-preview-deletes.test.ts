// `dlq replay --dry-run --sql` shows a delete as a delete: the dialect's DELETE statement with the
// key it binds, before the rows' INSERT; pure text, no server.
import { describe, expect, it } from 'vitest';
import { createSqlPreview } from '../../consumers/commands/dlq-sql-preview.js';
import { Request, SQLSchema } from '../../src/index.js';
import type { SinkConfig } from '../../src/drivers/sink-definition.js';

const users = SQLSchema('users', 'update', { id: 'int64', name: 'string' });

async function preview(type: string): Promise<string[]> {
  const lines: string[] = [];
  const sql = createSqlPreview(users, { type } as SinkConfig, async (line) => void lines.push(line));
  const replay = (id: string, request: Request) => sql.add({ action: 'replay', id, entry: {} as never, request });
  await replay('d1', Request.deleteOf(users, { id: 7n }));
  await replay('u1', Request.fromRow(users, { id: 8n, name: 'x' }));
  await sql.end();
  return lines;
}

describe('SQL dry-run of a replayed delete', () => {
  it.each([
    ['postgres', /^DELETE FROM "users" USING unnest\(\$1::int8\[\]\) AS "bf_d"\("id"\) WHERE "users"."id" = "bf_d"."id";$/],
    ['mysql', /^DELETE FROM `users` WHERE `id` IN \(\?\);$/],
    ['sqlite', /^DELETE FROM "users" WHERE "id" = \?;$/],
  ])('%s: the DELETE with its key, then the INSERT of the row', async (type, statement) => {
    const lines = await preview(type);
    expect(lines[0]).toMatch(/1 delete by key \(d1\)/);
    expect(lines[1]).toMatch(statement);
    expect(lines).toContain('--     DELETE (7)  -- d1');
    expect(lines.findIndex((line) => line.startsWith('INSERT'))).toBeGreaterThan(1);
  });
});
