/**
 * One run of the tracing scenario (`bench/scenarios/tracing.ts`), in a fresh process so no mode
 * warms another up: Producer → Redis → BatchConsumer → SQLite, `rows` rows submitted 100 per
 * `submitMany()`. Prints its {@link TracingRun} as the last line of stdout.
 * - `absent`: `@opentelemetry/api` made unresolvable first, as in an app that never installed the
 *   optional peer; `tracing: false`.
 * - `off`: `tracing: false` (the default) and no SDK, the peer installed: the process reports
 *   how many `@opentelemetry` modules got loaded (none may be).
 * - `on`: the real SDK (a batch span processor into memory), `tracing: true` on both sides, and
 *   every `submitMany()` made inside an app span, as an HTTP handler's would be.
 * Usage: `node dist/bench/child/tracing-child.js <mode> <rows> <redisUrl> <prefix>`
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Redis } from 'ioredis';
import { SQLSchema } from '../../src/core/schema.js';
import { SqliteDriver } from '../../src/drivers/sqlite/index.js';
import { BatchConsumer } from '../../src/queue/consumer/index.js';
import { Producer } from '../../src/queue/producer/index.js';

/** How BatchFlow's tracing is set up in one run. */
export type TracingMode = 'absent' | 'off' | 'on';

/** What one run measured. */
export interface TracingRun {
  readonly mode: TracingMode;
  readonly rows: number;
  readonly seconds: number;
  readonly rowsPerSecond: number;
  /** CPU (user + system) of this process, which runs the producer and the consumer, per row: less at the mercy of the machine's other work than the rate. */
  readonly cpuMicrosPerRow: number;
  readonly otelModulesLoaded: number;
  readonly spans: number;
}

async function run(mode: TracingMode, rows: number, redisUrl: string, prefix: string): Promise<TracingRun> {
  if (mode === 'absent') {
    // BatchFlow requires the API through createRequire (CommonJS resolution), so blocking that resolution is enough.
    const Module = createRequire(import.meta.url)('node:module') as { _resolveFilename: (request: string, ...rest: unknown[]) => string };
    const resolve = Module._resolveFilename;
    Module._resolveFilename = (request, ...rest) => {
      if (request.startsWith('@opentelemetry/')) throw Object.assign(new Error(`Cannot find module '${request}'`), { code: 'MODULE_NOT_FOUND' });
      return resolve(request, ...rest);
    };
  }
  let app: { run: (work: () => Promise<void>) => Promise<void>; spans: () => Promise<number> } | undefined;
  if (mode === 'on') {
    const [{ trace, context }, { AsyncLocalStorageContextManager }, sdk] = await Promise.all([import('@opentelemetry/api'), import('@opentelemetry/context-async-hooks'), import('@opentelemetry/sdk-trace-base')]);
    const exporter = new sdk.InMemorySpanExporter();
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    const provider = new sdk.BasicTracerProvider({ spanProcessors: [new sdk.BatchSpanProcessor(exporter, { maxQueueSize: 1 << 16 })] });
    trace.setGlobalTracerProvider(provider);
    const tracer = trace.getTracer('bench-app');
    app = {
      run: (work) => tracer.startActiveSpan('request', (span) => work().finally(() => span.end())),
      spans: async () => {
        await provider.forceFlush();
        return exporter.getFinishedSpans().length;
      },
    };
  }
  const dir = mkdtempSync(join(tmpdir(), 'bf-trace-bench-'));
  const schema = SQLSchema('bench_rows', 'insert', { id: 'int64', label: 'string' });
  const database = new Database(join(dir, 'bench.db'));
  database.exec('CREATE TABLE bench_rows (id INTEGER PRIMARY KEY, label TEXT NOT NULL)');
  const driver = new SqliteDriver({ database });
  const tracing = mode === 'on';
  const producer = new Producer({ connection: redisUrl, schemas: [schema], prefix, tracing });
  const consumer = new BatchConsumer({ connection: redisUrl, schema, executor: driver, prefix, flushSize: 1000, tracing });
  let committed = 0;
  let resolveDone: () => void = () => {};
  const done = new Promise<void>((resolve) => (resolveDone = resolve));
  consumer.on('batch:committed', ({ size }) => {
    committed += size;
    if (committed >= rows) resolveDone();
  });
  await consumer.waitUntilReady();
  const started = performance.now();
  const cpuAtStart = process.cpuUsage();
  const submits: Array<Promise<void>> = [];
  for (let i = 0; i < rows; i += 100) {
    const chunk = Array.from({ length: Math.min(100, rows - i) }, (_, j) => ({ id: BigInt(i + j), label: `row ${i + j}` }));
    const work = () => producer.submitMany(schema, chunk);
    submits.push(app ? app.run(work) : work());
    if (submits.length >= 50) await Promise.all(submits.splice(0));
  }
  await Promise.all(submits);
  await done;
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuAtStart);
  await producer.close();
  await consumer.close();
  await driver.close();
  database.close();
  rmSync(dir, { recursive: true, force: true });
  const redis = new Redis(redisUrl);
  for (let cursor = '0'; ; ) {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    if (keys.length > 0) await redis.del(...keys);
    if ((cursor = next) === '0') break;
  }
  redis.disconnect();
  const otelModulesLoaded = Object.keys(createRequire(import.meta.url).cache).filter((k) => k.includes('@opentelemetry')).length;
  return { mode, rows, seconds, rowsPerSecond: Math.round(rows / seconds), cpuMicrosPerRow: (cpu.user + cpu.system) / rows, otelModulesLoaded, spans: (await app?.spans()) ?? 0 };
}

const [mode, rows, redisUrl, prefix] = process.argv.slice(2);
console.log(JSON.stringify(await run(mode as TracingMode, Number(rows), redisUrl ?? '', prefix ?? '')));
process.exit(0);
