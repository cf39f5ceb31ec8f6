import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { assertCliBuilt } from '../helpers/cli.js';
import { spawnNode } from '../helpers/child-process.js';

// The built main entry with every database client made unresolvable (a resolve hook), as in an
// app that installed none of them: importing it must not load any, and each driver must fail on
// first use with an error naming the package to install.
const ENTRY = fileURLToPath(new URL('../../dist/src/index.js', import.meta.url));
/** The sink authors' subpath (`bullmq-batchflow/plugin`), where `openSink` lives: it must load no client either. */
const PLUGIN = fileURLToPath(new URL('../../dist/src/plugin.js', import.meta.url));
const HOOK = `
const blocked = new Set(['pg', 'mysql2', 'mysql2/promise', 'better-sqlite3']);
export async function resolve(specifier, context, next) {
  if (blocked.has(specifier)) {
    const err = new Error("Cannot find package '" + specifier.split('/')[0] + "' imported from " + context.parentURL);
    err.code = 'ERR_MODULE_NOT_FOUND';
    throw err;
  }
  return next(specifier, context);
}`;
const SCRIPT = `
import { register } from 'node:module';
register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(HOOK)}));
const m = await import(${JSON.stringify(ENTRY)});
const plugin = await import(${JSON.stringify(PLUGIN)});
console.log('imported', typeof m.Producer, typeof m.PostgresDriver);
for (const driver of [new m.PostgresDriver({ connectionString: 'postgres://x@127.0.0.1:1/x' }), new m.MySqlDriver({ connectionString: 'mysql://x@127.0.0.1:1/x' }), new m.SqliteDriver({ filename: ':memory:' })]) {
  const err = await driver.ping().then(() => undefined, (e) => e);
  console.log(driver.sink, err?.cause?.code, err?.cause?.packageName);
  await driver.close();
}
for (const sink of [{ type: 'postgres', url: 'postgres://x@127.0.0.1:1/x' }, { type: 'mysql', url: 'mysql://x@127.0.0.1:1/x' }, { type: 'sqlite', filename: ':memory:' }]) {
  const err = await plugin.openSink({ name: 'main' }, sink).then(() => undefined, (e) => e);
  console.log('sink', sink.type, err?.code, err?.message);
}
`;

describe('the main entry loads no database client', () => {
  it('imports with pg, mysql2 and better-sqlite3 unresolvable; drivers and sinks name the missing package on use', async () => {
    assertCliBuilt();
    const run = spawnNode(['--input-type=module', '-e', SCRIPT], {});
    expect(await run.exited, run.lines.join('\n')).toBe(0);
    const out = run.lines.join('\n');
    expect(out).toContain('imported function function');
    expect(out).toContain('postgres ERR_MISSING_CLIENT pg');
    expect(out).toContain('mysql ERR_MISSING_CLIENT mysql2');
    expect(out).toContain('sqlite ERR_MISSING_CLIENT better-sqlite3');
    expect(out).toContain('sink postgres ERR_MISSING_CLIENT the postgres sink needs the npm package "pg", which is not installed: run `npm install pg`');
    expect(out).toContain('sink mysql ERR_MISSING_CLIENT the mysql sink needs the npm package "mysql2"');
    expect(out).toContain('sink sqlite ERR_MISSING_CLIENT the sqlite sink needs the npm package "better-sqlite3"');
  });
});
