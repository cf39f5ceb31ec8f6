import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnNode, type Spawned } from '../helpers/child-process.js';
import { assertCliBuilt, CLI, freePort } from '../helpers/cli.js';
import { deletePrefix, REDIS_URL, uniquePrefix, waitFor } from '../helpers/redis.js';

// `batchflow worker` with tracing turned on by the standard OTEL_* variables alone: it exports
// OTLP (http/json here) to a collector on loopback. A row sent to HTTP ingest with a
// `traceparent` header is committed by a batch whose span links to that caller, and the batch's
// log line carries the batch span's trace_id and span_id.
const FIXTURES = fileURLToPath(new URL('../fixtures/module-sink/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'bf-worker-tracing-'));
const out = join(dir, 'rows.jsonl');
const prefix = uniquePrefix('wtrace');
let worker: Spawned | undefined;
let collector: Server | undefined;

interface OtlpSpan {
  name: string;
  traceId: string;
  spanId: string;
  links?: Array<{ traceId: string; spanId: string }>;
  attributes?: Array<{ key: string; value: { stringValue?: string; intValue?: string | number } }>;
}

afterAll(async () => {
  if (worker && worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill('SIGKILL');
  collector?.close();
  await deletePrefix(prefix);
  rmSync(dir, { recursive: true, force: true });
});

describe('batchflow worker with OTEL_* tracing', () => {
  it('exports a batchflow.batch span over OTLP, linked to the ingest caller’s traceparent; its log line carries trace_id', { timeout: 90_000 }, async () => {
    assertCliBuilt();
    copyFileSync(join(FIXTURES, 'lines-sink.mjs'), join(dir, 'lines-sink.mjs'));
    const configFile = join(dir, 'config.json');
    writeFileSync(configFile, JSON.stringify({
      sinks: { custom: { type: 'module', path: './lines-sink.mjs', options: { file: out, tag: 'trace' } } },
      schemas: [{ name: 'clicks', sink: 'custom', columns: { id: 'int64', page: 'string' }, flushIntervalMs: 100 }],
    }));
    const spans: OtlpSpan[] = [];
    collector = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        const data = JSON.parse(body) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: OtlpSpan[] }> }> };
        for (const r of data.resourceSpans) for (const s of r.scopeSpans) spans.push(...s.spans);
        res.setHeader('content-type', 'application/json');
        res.end('{}');
      });
    });
    await new Promise<void>((resolve) => collector?.listen(0, '127.0.0.1', resolve));
    const otlpPort = (collector.address() as { port: number }).port;
    const port = await freePort();
    worker = spawnNode([CLI, 'worker', '--config', configFile], {
      REDIS_URL,
      BATCHFLOW_PREFIX: prefix,
      BATCHFLOW_HTTP_PORT: String(port),
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${otlpPort}`,
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '200',
      OTEL_SERVICE_NAME: 'bf-e2e',
    }, '/');
    expect(await waitFor(() => fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.ok, () => false), 30_000, 200), worker.lines.join('\n')).toBe(true);

    const caller = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7' };
    const res = await fetch(`http://127.0.0.1:${port}/v1/schemas/clicks/requests`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', traceparent: `00-${caller.traceId}-${caller.spanId}-01` },
      body: JSON.stringify([{ id: '1', page: '/a' }, { id: '2', page: '/b' }]),
    });
    expect(res.status, await res.text()).toBeLessThan(300);
    expect(await waitFor(() => existsSync(out) && readFileSync(out, 'utf8').trim().split('\n').length >= 2, 30_000, 100)).toBe(true);

    const batch = () => spans.find((s) => s.name === 'batchflow.batch' && s.links?.some((l) => l.traceId === caller.traceId && l.spanId === caller.spanId));
    expect(await waitFor(() => batch() !== undefined, 30_000, 100), JSON.stringify(spans)).toBe(true);
    const span = batch() as OtlpSpan;
    const attr = (key: string) => span.attributes?.find((a) => a.key === key)?.value;
    expect(attr('batchflow.schema')?.stringValue).toBe('clicks');
    expect(attr('batchflow.sink')?.stringValue).toBe('lines');
    expect(attr('batchflow.outcome')?.stringValue).toBe('committed');
    expect(Number(attr('batchflow.batch.size')?.intValue)).toBe(2);
    // The batch's log line was written inside its span.
    const committed = worker.lines.map((l) => { try { return JSON.parse(l) as Record<string, unknown>; } catch { return {}; } }).find((l) => l.event === 'batch:committed');
    expect(committed).toMatchObject({ trace_id: span.traceId, span_id: span.spanId });

    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
  });
});
