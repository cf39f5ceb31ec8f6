/**
 * Tracing overhead: the same pipeline (Producer → Redis → BatchConsumer → SQLite) with tracing off
 * and on, each run in a fresh process, alternating, so neither warms the other up.
 * - `off`: `tracing: false` (the default) and no OpenTelemetry SDK; the process reports whether
 *   any `@opentelemetry` module was loaded at all (it must not be: this imports the producer and
 *   consumer modules, not the main entry, whose Prometheus reporter loads prom-client, which
 *   requires `@opentelemetry/api` itself).
 * - `on`: the real SDK (a batch span processor into memory), `tracing: true` on both sides, and
 *   every `submitMany()` of 100 rows made inside an app span, as an HTTP handler's would be.
 *
 * Usage: `npm run build && node dist/bench/tracing-overhead.js [rows=50000] [rounds=3]`
 * (needs Redis at `REDIS_URL`, default 127.0.0.1:6379).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { Redis } from 'ioredis';
import { SQLSchema } from '../src/core/schema.js';
import { SqliteDriver } from '../src/drivers/sqlite/index.js';
import { BatchConsumer } from '../src/queue/consumer/index.js';
import { Producer } from '../src/queue/producer/index.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
type Mode = 'off' | 'on';
interface RunResult {
  readonly mode: Mode;
  readonly rows: number;
  readonly seconds: number;
  readonly rowsPerSecond: number;
  readonly otelModulesLoaded: number;
  readonly spans: number;
}

async function child(mode: Mode, rows: number): Promise<RunResult> {
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
  const prefix = `bftb_${mode}_${process.pid}`;
  const schema = SQLSchema('bench_rows', 'insert', { id: 'int64', label: 'string' });
  const database = new Database(join(dir, 'bench.db'));
  database.exec('CREATE TABLE bench_rows (id INTEGER PRIMARY KEY, label TEXT NOT NULL)');
  const driver = new SqliteDriver({ database });
  const tracing = mode === 'on';
  const producer = new Producer({ connection: REDIS_URL, schemas: [schema], prefix, tracing });
  const consumer = new BatchConsumer({ connection: REDIS_URL, schema, executor: driver, prefix, flushSize: 1000, tracing });
  let committed = 0;
  let resolveDone: () => void = () => {};
  const done = new Promise<void>((resolve) => (resolveDone = resolve));
  consumer.on('batch:committed', ({ size }) => {
    committed += size;
    if (committed >= rows) resolveDone();
  });
  await consumer.waitUntilReady();
  const started = performance.now();
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
  await producer.close();
  await consumer.close();
  await driver.close();
  database.close();
  rmSync(dir, { recursive: true, force: true });
  const redis = new Redis(REDIS_URL);
  for (let cursor = '0'; ; ) {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    if (keys.length > 0) await redis.del(...keys);
    if ((cursor = next) === '0') break;
  }
  redis.disconnect();
  const otelModulesLoaded = Object.keys(createRequire(import.meta.url).cache).filter((k) => k.includes('@opentelemetry')).length;
  return { mode, rows, seconds, rowsPerSecond: Math.round(rows / seconds), otelModulesLoaded, spans: (await app?.spans()) ?? 0 };
}

function runChild(mode: Mode, rows: number): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [fileURLToPath(import.meta.url), '--child', mode, String(rows)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    proc.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    proc.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as RunResult) : reject(new Error(`${mode} run exited ${code}`))));
  });
}

async function main(): Promise<void> {
  const [flag, mode, rowsArg] = process.argv.slice(2);
  if (flag === '--child') {
    console.log(JSON.stringify(await child(mode as Mode, Number(rowsArg))));
    process.exit(0);
  }
  const rows = Number(process.argv[2] ?? 50_000);
  const rounds = Number(process.argv[3] ?? 3);
  const results: RunResult[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const m of round % 2 === 0 ? (['off', 'on'] as const) : (['on', 'off'] as const)) {
      const result = await runChild(m, rows);
      results.push(result);
      console.log(JSON.stringify(result));
    }
  }
  const median = (m: Mode) => {
    const sorted = results.filter((r) => r.mode === m).map((r) => r.rowsPerSecond).sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)] ?? 0;
  };
  const off = median('off');
  const on = median('on');
  console.log(`median rows/s: off ${off}, on ${on}; tracing on costs ${(((off - on) / off) * 100).toFixed(1)}%`);
}

await main();
