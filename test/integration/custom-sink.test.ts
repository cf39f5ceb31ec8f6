import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../consumers/config/load-config.js';
import { describeConfig } from '../../consumers/config/describe-config.js';
import { openSink } from '../../src/drivers/open-sink.js';
import { registerSink, sinkTypes } from '../../src/plugin.js';
import { BatchConsumer, Producer } from '../../src/index.js';
import { jsonlSink } from '../fixtures/jsonl/jsonl-sink.js';
import { REDIS_URL, deletePrefix, uniquePrefix, waitFor } from '../helpers/redis.js';

const dir = mkdtempSync(join(tmpdir(), 'bf-jsonl-'));
const unregister = registerSink(jsonlSink);
afterAll(() => {
  unregister();
  rmSync(dir, { recursive: true, force: true });
});

/** The file's lines, parsed. */
function lines(file: string): Array<{ schema: string; row: Record<string, unknown> }> {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as { schema: string; row: Record<string, unknown> });
  } catch {
    return [];
  }
}

describe('a sink added the documented way (docs/guides/custom-sinks.md): one folder, one registerSink line', () => {
  it('is known to the config loader, with its own shape checked', () => {
    expect(sinkTypes()).toContain('jsonl');
    const path = join(dir, 'bad.json');
    writeFileSync(path, JSON.stringify({ sinks: { lines: { type: 'jsonl', file: 'x', extra: 1 } }, schemas: [{ name: 'clicks', sink: 'lines', columns: ['id'] }] }));
    expect(() => loadConfig({ path, env: {} })).toThrow('sinks.lines.extra: unknown field');
    writeFileSync(path, JSON.stringify({ sinks: { lines: { type: 'jsonl' } }, schemas: [{ name: 'clicks', sink: 'lines', columns: ['id'] }] }));
    expect(() => loadConfig({ path, env: {} })).toThrow('sinks.lines.file: is required');
    // Its definition says it takes schemas without a table, so a table is refused like on Redis.
    writeFileSync(path, JSON.stringify({ sinks: { lines: { type: 'jsonl', file: 'x' } }, schemas: [{ sink: 'lines', table: 't', conflict: 'ignore', columns: ['id'] }] }));
    expect(() => loadConfig({ path, env: {} })).toThrow('schemas.0.sink: sink "lines" is jsonl, but a schema with a table needs a SQL sink');
  });

  it('runs through the worker config and a BatchConsumer: every row lands in the file once', async () => {
    const path = join(dir, 'batchflow.json');
    writeFileSync(path, JSON.stringify({ sinks: { lines: { type: 'jsonl', file: './out/clicks.jsonl' } }, schemas: [{ name: 'clicks', sink: 'lines', columns: { id: 'int64', page: 'string' } }] }));
    const config = loadConfig({ path, env: {} });
    expect(describeConfig(config).sinks).toEqual({ lines: 'jsonl:./out/clicks.jsonl' });
    const [entry] = config.schemas;
    if (!entry) throw new Error('no schema');
    const sink = config.sinks[entry.sink];
    if (!sink) throw new Error('no sink');
    const executor = await openSink({ name: entry.sink, baseDir: config.baseDir }, sink);
    const prefix = uniquePrefix('jsonl');
    const consumer = new BatchConsumer({ connection: REDIS_URL, prefix, schema: entry.schema, executor, ...entry.tuning, flushIntervalMs: 100 });
    const producer = new Producer({ connection: REDIS_URL, prefix, schemas: [entry.schema] });
    try {
      await producer.submitMany(entry.schema, Array.from({ length: 250 }, (_, i) => ({ id: BigInt(i), page: `/p/${i}` })));
      const file = join(dir, 'out', 'clicks.jsonl'); // relative to the config file
      expect(await waitFor(() => lines(file).length >= 250)).toBe(true);
      const written = lines(file);
      expect(written).toHaveLength(250);
      expect(new Set(written.map((l) => l.row.id)).size).toBe(250);
      expect(written[0]).toEqual({ schema: 'clicks', row: { id: expect.any(String), page: expect.stringMatching(/^\/p\/\d+$/) } });
    } finally {
      await producer.close();
      await consumer.close();
      await executor.close();
      await deletePrefix(prefix);
    }
  });

  it('cannot be registered twice', () => {
    expect(() => registerSink(jsonlSink)).toThrow('SinkDefinition.type: a sink of type "jsonl" is already registered');
  });
});
