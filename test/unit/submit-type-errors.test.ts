import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runCommand } from '../helpers/cli.js';

// What a user reads when a row does not fit: tsc's message must name the column, not the last
// overload (`Argument of type 'SQLSchema<…>' is not assignable to parameter of type 'string'`).
// The fixture is compiled in a folder of the repository, so it imports the sources as a user imports the package.
const REPO = fileURLToPath(new URL('../..', import.meta.url));
const TSC = join(REPO, 'node_modules', '.bin', 'tsc');
const dir = mkdtempSync(join(REPO, 'test', '.submit-types-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const FIXTURE = `
import { Producer, Request, SQLSchema, Schema } from '../../src/index.js';
const users = SQLSchema('users', 'update', { id: 'int64', name: 'string', nickname: 'string?', created_at: 'timestamp', score: 'float64?' });
declare const producer: Producer;
await producer.submit(users, { id: 'one', name: 'Ada', created_at: new Date() }); // LINE wrong-id
await producer.submit(users, { id: 1n, name: 42, created_at: new Date() }); // LINE wrong-name
await producer.submit(users, { id: 1n, name: 'Ada', created_at: '2026-01-01' }); // LINE wrong-time
await producer.submit(users, { id: 1n, name: 'Ada', created_at: new Date(), score: 'high' }); // LINE wrong-nullable
await producer.submit(users, { id: 1n, name: 'Ada', created_at: new Date(), nick: 'A' }); // LINE unknown
await producer.submit(users, { id: 1n, created_at: new Date() }); // LINE missing
await producer.submitMany(users, [{ id: 1n, name: 'Ada', created_at: new Date() }, { id: 2n, name: true, created_at: new Date() }]); // LINE many
// These compile:
await producer.submit(users, { id: 1n, name: 'Ada', nickname: null, created_at: new Date(), score: 1.5 });
const rows = [{ id: 3n, name: 'Cy', created_at: new Date() }, { id: 4n, name: 'Di', nickname: 'D', created_at: new Date() }];
await producer.submitMany(users, rows, { signal: AbortSignal.timeout(5000) });
await producer.submit(new Request(users).setInt64('id', 2n), { idempotencyKey: 'k' });
await producer.submitMany([new Request(users)]);
await producer.submit('users', { id: 1, anything: 'goes' });
await producer.submit(Schema('cache', ['cmd', 'key']), { cmd: 'SET', key: 'k' });
`;

async function compile(): Promise<Map<string, string>> {
  writeFileSync(join(dir, 'rows.ts'), FIXTURE);
  const args = ['--noEmit', '--strict', '--target', 'ES2022', '--module', 'NodeNext', '--moduleResolution', 'NodeNext', '--skipLibCheck', '--types', 'node', '--pretty', 'false', join(dir, 'rows.ts')];
  const run = await runCommand(TSC, args, { cwd: REPO, timeoutMs: 120_000 });
  const lines = FIXTURE.split('\n');
  const byLabel = new Map<string, string>();
  // Each error starts with `rows.ts(LINE,COL): error`; indented lines that follow elaborate it.
  for (const block of run.stdout.split(/\n(?=\S)/)) {
    const at = /rows\.ts\((\d+),\d+\): error/.exec(block);
    if (!at) continue;
    const label = /\/\/ LINE (\S+)/.exec(lines[Number(at[1]) - 1] ?? '')?.[1] ?? `unlabelled line ${at[1]}: ${lines[Number(at[1]) - 1]}`;
    byLabel.set(label, `${byLabel.get(label) ?? ''}${block}\n`);
  }
  return byLabel;
}

describe('submit() type errors name the column', () => {
  it('every bad row fails to compile with its column in the message; the good ones compile', { timeout: 150_000 }, async () => {
    const errors = await compile();
    expect([...errors.keys()].sort()).toEqual(['many', 'missing', 'unknown', 'wrong-id', 'wrong-name', 'wrong-nullable', 'wrong-time']);
    expect(errors.get('wrong-id')).toContain("column 'id' expects a number or bigint (int64)");
    expect(errors.get('wrong-name')).toContain("column 'name' expects a string");
    expect(errors.get('wrong-time')).toContain("column 'created_at' expects a Date");
    expect(errors.get('wrong-nullable')).toContain("column 'score' expects a number or null");
    expect(errors.get('unknown')).toContain("unknown column 'nick'");
    expect(errors.get('missing')).toContain("missing column 'name'");
    expect(errors.get('many')).toContain("column 'name' expects a string");
    for (const message of errors.values()) expect(message).not.toContain('No overload matches this call');
  });
});
