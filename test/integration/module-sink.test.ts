import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../consumers/config/load-config.js';
import { openSink } from '../../src/drivers/open-sink.js';
import { ConfigError, Request, Schema } from '../../src/index.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/module-sink/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'bf-module-sink-'));
for (const file of ['lines-sink.mjs', 'no-default.mjs', 'no-execute.mjs']) copyFileSync(join(FIXTURES, file), join(dir, file));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Loads a config file (written into `dir`) whose `custom` sink is `sink`, and opens that sink. */
async function open(sink: Record<string, unknown>, schemas: unknown[] = [{ name: 'clicks', sink: 'custom', columns: ['id', 'page'] }]) {
  const path = join(dir, `config-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, JSON.stringify({ sinks: { custom: sink }, schemas }));
  const config = loadConfig({ path, env: { SINK_TAG: 'from-env' }, cwd: '/' });
  return openSink({ name: 'custom', baseDir: config.baseDir }, config.sinks.custom as never);
}

async function failure(promise: Promise<unknown>): Promise<ConfigError> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(ConfigError);
  return err as ConfigError;
}

describe('plug-in sinks: { "type": "module", "path", "options" }', () => {
  it('loads the default export relative to the config file, hands it the options and runs what it returns', async () => {
    const out = join(dir, 'out.jsonl');
    const executor = await open({ type: 'module', path: './lines-sink.mjs', options: { file: out, tag: 'env:SINK_TAG' } });
    expect(executor.sink).toBe('lines');
    const clicks = Schema('clicks', { id: 'int64', page: 'string' });
    await executor.execute(clicks, [Request.fromRow(clicks, { id: 1n, page: '/a' }), Request.fromRow(clicks, { id: 2n, page: '/b' })]);
    await executor.ping?.();
    await executor.close();
    expect(readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as unknown)).toEqual([
      { schema: 'clicks', tag: 'from-env', row: { id: '1', page: '/a' } },
      { schema: 'clicks', tag: 'from-env', row: { id: '2', page: '/b' } },
      { closed: true },
    ]);
  });

  it('takes schemas with a table too: the module decides what it writes', async () => {
    const executor = await open({ type: 'module', path: './lines-sink.mjs', options: { file: join(dir, 'sql.jsonl') } }, [{ sink: 'custom', table: 'events', conflict: 'ignore', columns: ['id'] }]);
    await executor.close();
  });

  it('a missing file, no default export, or no execute function is a ConfigError naming sinks.custom.path', async () => {
    const missing = await failure(open({ type: 'module', path: './nope.mjs' }));
    expect(missing.field).toBe('sinks.custom.path');
    expect(missing.message).toBe(`sinks.custom.path: no file at ${join(dir, 'nope.mjs')}`);

    const noDefault = await failure(open({ type: 'module', path: './no-default.mjs' }));
    expect(noDefault.field).toBe('sinks.custom.path');
    expect(noDefault.message).toContain('has no default export function');

    const noExecute = await failure(open({ type: 'module', path: './no-execute.mjs' }));
    expect(noExecute.field).toBe('sinks.custom.path');
    expect(noExecute.message).toContain('must return a BatchExecutor (an object with an execute(schema, requests, signal) function)');

    const throwing = await open({ type: 'module', path: './lines-sink.mjs', options: {} }).then(() => undefined, (e: unknown) => e);
    expect(String(throwing)).toContain('lines-sink: options.file is required');
  });

  it('checks the entry itself when the config loads', () => {
    const path = join(dir, 'bad.json');
    const write = (sink: unknown) => writeFileSync(path, JSON.stringify({ sinks: { custom: sink }, schemas: [{ name: 'c', sink: 'custom', columns: ['id'] }] }));
    write({ type: 'module' });
    expect(() => loadConfig({ path, env: {} })).toThrow('sinks.custom.path: is required');
    write({ type: 'module', path: './x.mjs', options: 5 });
    expect(() => loadConfig({ path, env: {} })).toThrow('sinks.custom.options: must be an object');
    write({ type: 'module', path: './x.mjs', extra: true });
    expect(() => loadConfig({ path, env: {} })).toThrow('sinks.custom.extra: unknown field');
    writeFileSync(path, JSON.stringify({ sinks: { custom: { type: 'module', path: './x.mjs' } }, schemas: [{ name: 'c', sink: 'custom', columns: { id: 'int64' }, table: 't', conflict: 'ignore', createTable: true }] }));
    expect(() => loadConfig({ path, env: {} })).toThrow('schemas.0.createTable: sink "custom" is module, which cannot create tables');
  });
});
