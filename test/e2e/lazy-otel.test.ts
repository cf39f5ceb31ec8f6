import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { assertCliBuilt } from '../helpers/cli.js';
import { spawnNode } from '../helpers/child-process.js';
import { REDIS_URL, deletePrefix, uniquePrefix } from '../helpers/redis.js';
import { useCleanups } from '../helpers/cleanups.js';

// `@opentelemetry/api` is an optional peer: an app that does not turn tracing on must not load it.
// A fresh process (this test runner has it loaded already) imports every entry of the built
// package, runs a producer and a consumer without tracing through one commit, and lists the
// modules loaded. @opentelemetry/api resolves to CommonJS under Node's conditions, whether
// imported or required, so `require.cache` sees it. prom-client loads it too, as its own
// dependency (exemplars): that happens only once a PrometheusReporter is built, and is shown here.
const defer = useCleanups();
const entries = ['index', 'plugin', 'drivers/postgres/index', 'drivers/mysql/index', 'drivers/sqlite/index', 'drivers/redis/index'].map((e) =>
  fileURLToPath(new URL(`../../dist/src/${e}.js`, import.meta.url)),
);

const script = (prefix: string) => `
import { createRequire } from 'node:module';
const loaded = () => Object.keys(createRequire(import.meta.url).cache).filter((k) => /[\\\\/]@opentelemetry[\\\\/]api[\\\\/]/.test(k)).length;
const [m] = await Promise.all(${JSON.stringify(entries)}.map((e) => import(e)));
console.log('after import', loaded());
const schema = m.Schema('lazy_otel', { id: 'int64' });
const executor = new m.MockExecutor();
const producer = new m.Producer({ connection: ${JSON.stringify(REDIS_URL)}, schemas: [schema], prefix: ${JSON.stringify(prefix)} });
const consumer = new m.BatchConsumer({ connection: ${JSON.stringify(REDIS_URL)}, schema, executor, prefix: ${JSON.stringify(prefix)}, flushSize: 1, flushIntervalMs: 10 });
await producer.submit(schema, { id: 1n });
while (executor.committed.length === 0) await new Promise((r) => setTimeout(r, 20));
await producer.close();
await consumer.close();
console.log('after a commit', loaded());
new m.PrometheusReporter();
console.log('after a PrometheusReporter', loaded());
`;

describe('@opentelemetry/api stays unloaded without tracing', () => {
  it('is not loaded by importing the package nor by a producer and consumer committing; prom-client loads it when a PrometheusReporter is built', async () => {
    assertCliBuilt();
    const prefix = uniquePrefix('lazy_otel');
    defer(() => deletePrefix(prefix));
    const run = spawnNode(['--input-type=module', '-e', script(prefix)], {});
    expect(await run.exited, run.lines.join('\n')).toBe(0);
    const out = run.lines.join('\n');
    expect(out).toContain('after import 0');
    expect(out).toContain('after a commit 0');
    expect(out).toMatch(/after a PrometheusReporter [1-9]/);
  });
});
