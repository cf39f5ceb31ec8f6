import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertCliBuilt } from '../helpers/cli.js';
import { PG_URL, uniqueTable } from '../helpers/pg.js';
import { PrivatePostgres } from '../helpers/private-postgres.js';
import { deletePrefix, REDIS_URL } from '../helpers/redis.js';

// A library user runs the README's "Use it from Node" code with no listener of their own for
// failures. When the sink fails, they must see one line on stderr naming the schema, the
// reason and the code, once for the hold (not once per retry).
const REPO = fileURLToPath(new URL('../..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'bf-speaks-'));
const tables: string[] = [];
let stopped: PrivatePostgres | undefined;

/** The README block as a plain ES module (it is valid JavaScript), without its table setup, importing the built package. */
function readmeProgram(table: string): string {
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
  const block = /```ts\n([\s\S]*?)```/.exec(readme.slice(readme.indexOf('## Use it from Node')))?.[1] ?? '';
  expect(block).toContain('await checkSchema(');
  const code = block
    .replace("from 'bullmq-batchflow'", `from '${join(REPO, 'dist', 'src', 'index.js')}'`)
    .replace(/^await checkSchema\(.*$/m, '// (table setup left out: this run is about a sink that fails)')
    .replace("SQLSchema('users',", `SQLSchema('${table}',`)
    .replaceAll("'redis://127.0.0.1:6379'", `'${REDIS_URL}'`);
  // Report each retry on stdout, so the test knows the hold went on after the line.
  return `${code}\nlet retries = 0;\nconsumer.on('batch:retry', () => console.log(\`retry \${++retries}\`));\n`;
}

interface Run {
  stderr: string[];
  stdout: string[];
}

/** Runs the program until it has retried `retries` times while holding, then kills it. */
async function runUntilRetries(table: string, pgUrl: string, retries: number): Promise<Run> {
  const file = join(work, `${table}.mjs`);
  writeFileSync(file, readmeProgram(table));
  const child = spawn(process.execPath, [file], { env: { ...process.env, PG_URL: pgUrl }, stdio: ['ignore', 'pipe', 'pipe'] });
  const run: Run = { stderr: [], stdout: [] };
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${retries} retries within 90 s:\n${run.stdout.join('\n')}\n${run.stderr.join('\n')}`)), 90_000);
    createInterface({ input: child.stderr }).on('line', (line) => run.stderr.push(line));
    createInterface({ input: child.stdout }).on('line', (line) => {
      run.stdout.push(line);
      if (line === `retry ${retries}`) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('exit', (code) => reject(new Error(`exited ${code}:\n${run.stdout.join('\n')}\n${run.stderr.join('\n')}`)));
  }).finally(() => child.kill('SIGKILL'));
  return run;
}

beforeAll(() => assertCliBuilt());

afterAll(async () => {
  for (const table of tables) await deletePrefix(`batchflow:{${table}}`);
  await stopped?.cleanup();
  rmSync(work, { recursive: true, force: true });
});

describe('the README consumer speaks up without listeners', () => {
  it('a missing table: one stderr line naming the schema, the reason and the SQLSTATE, however many retries', { timeout: 120_000 }, async () => {
    const table = uniqueTable('speaks_missing');
    tables.push(table);
    const run = await runUntilRetries(table, PG_URL, 6);
    const lines = run.stderr.filter((line) => line.startsWith('[batchflow]'));
    expect(lines, run.stderr.join('\n')).toHaveLength(1);
    expect(lines[0]).toContain(`schema "${table}"`);
    expect(lines[0]).toContain('schema 42P01');
    expect(lines[0]).toContain(`relation "${table}" does not exist`);
    expect(lines[0]).toContain('nothing is dead-lettered');
  });

  it('a stopped PostgreSQL: one stderr line naming the schema, the reason and the errno', { timeout: 180_000 }, async () => {
    stopped = await PrivatePostgres.create();
    await stopped.start();
    const url = stopped.url;
    await stopped.stop('fast');
    const table = uniqueTable('speaks_down');
    tables.push(table);
    const run = await runUntilRetries(table, url, 6);
    const lines = run.stderr.filter((line) => line.startsWith('[batchflow]'));
    expect(lines, run.stderr.join('\n')).toHaveLength(1);
    expect(lines[0]).toContain(`schema "${table}"`);
    expect(lines[0]).toContain('connection ECONNREFUSED');
  });
});
