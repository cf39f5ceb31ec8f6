// A user-written BatchExecutor that POSTs each batch to a real HTTP service on 127.0.0.1, backed
// by a real SQLite database, in two styles: a plain one (non-2xx thrown as plain errors, only 422
// classified) and the example in BatchExecutor's TSDoc. For the fault's length the service is
// sick in three real ways, a third of the time each: it answers 503; it answers 500 with an error
// code nobody classifies; and it stops listening, so undici's fetch throws
// `TypeError('fetch failed')` with ECONNREFUSED on its `cause`. Poison rows (a negative score)
// make the service answer 422 for the whole batch, which the executor throws as
// SinkError('non_retryable'), so bisection isolates them. The rule: no good row dead-lettered,
// exactly the poison dead-lettered, nothing lost or duplicated, first commit within 5 s.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SinkError, SQLSchema, type BatchExecutor } from '../../src/index.js';
import { atScale } from '../helpers/chaos-figures.js';
import { runFaultScenario, type FaultContext } from '../helpers/fault-scenario.js';

const FAULT_MS = atScale(20_000, 9000);

type Mode = 'ok' | '503' | 'unknown_code';

/** The HTTP service: POST /rows upserts `{ rows: [{ id, name, score }] }` into SQLite in one transaction. */
class RowService {
  readonly db = new Database(':memory:');
  mode: Mode = 'ok';
  #server: Server | undefined;
  port = 0;
  readonly #upsert;

  constructor() {
    this.db.exec('CREATE TABLE rows (id INTEGER PRIMARY KEY, name TEXT NOT NULL, score INTEGER NOT NULL)');
    const statement = this.db.prepare('INSERT INTO rows (id, name, score) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET name = excluded.name, score = excluded.score');
    this.#upsert = this.db.transaction((rows: Array<{ id: string; name: string; score: number }>) => {
      for (const r of rows) statement.run(BigInt(r.id), r.name, r.score);
    });
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/rows`;
  }

  /** Listens (again, on the same port after the first time). */
  async listen(): Promise<void> {
    const server = createServer((req, res) => void this.#handle(req, res));
    server.keepAliveTimeout = 1000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.#server = server;
  }

  /** Stops listening and drops every open connection: new connects are refused. */
  async stop(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    this.#server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body = '';
    for await (const chunk of req) body += String(chunk);
    const reply = (status: number, payload: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(payload));
    };
    if (this.mode === '503') return reply(503, { error: 'service unavailable' });
    if (this.mode === 'unknown_code') return reply(500, { code: 'BACKEND_E_SHARD_MOVED' });
    try {
      const { rows } = JSON.parse(body) as { rows: Array<{ id: string; name: string; score: number }> };
      const bad = rows.filter((r) => !(r.score >= 0)).map((r) => r.id);
      if (bad.length > 0) return reply(422, { error: 'invalid rows', ids: bad });
      this.#upsert(rows);
      reply(200, { written: rows.length });
    } catch (err) {
      reply(500, { code: 'BACKEND_EXCEPTION', message: String(err) });
    }
  }
}

/**
 * The user's executor, in two styles:
 * - `plain`: as a user writes it from scratch: bigint-safe JSON, the abort signal passed on, the
 *   body read, 422 (bad rows) thrown as SinkError('non_retryable'), every other non-2xx thrown as a
 *   plain Error carrying the service's own code when it sends one (503: no code at all). Nothing
 *   but the 422 is classified, so the pipeline must hold what it cannot classify.
 * - `documented`: the example in BatchExecutor's TSDoc (5xx/429/408 → connection, 401/403 → auth,
 *   400/409/422 → non_retryable, other statuses → unknown).
 * Both leave `TypeError('fetch failed')` (ECONNREFUSED on `cause`) to the pipeline.
 */
function httpExecutor(url: () => string, style: 'plain' | 'documented'): BatchExecutor {
  return {
    sink: 'http',
    async execute(schema, requests, signal) {
      const body = JSON.stringify({ rows: requests.map((r) => r.toRow()) }, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
      const res = await fetch(url(), { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal });
      const text = await res.text();
      if (res.ok) return;
      if (style === 'documented') {
        const message = `${schema.name}: HTTP ${res.status} ${res.statusText}`;
        const sinkCode = `HTTP_${res.status}`;
        if (res.status >= 500 || res.status === 429 || res.status === 408) throw new SinkError('connection', message, { sinkCode });
        if (res.status === 401 || res.status === 403) throw new SinkError('auth', message, { sinkCode });
        if (res.status === 400 || res.status === 409 || res.status === 422) throw new SinkError('non_retryable', message, { sinkCode });
        throw new SinkError('unknown', message, { sinkCode });
      }
      if (res.status === 422) throw new SinkError('non_retryable', `rows service refused the batch: ${text}`, { sinkCode: 'HTTP_422' });
      let code: string | undefined;
      try {
        code = (JSON.parse(text) as { code?: string }).code;
      } catch {
        // not JSON: no code
      }
      throw Object.assign(new Error(`rows service answered HTTP ${res.status}`), code === undefined ? { status: res.status } : { status: res.status, code });
    },
  };
}

/** What a plain fetch to the service meets right now, to prove each fault is real. */
async function probe(url: string): Promise<string> {
  try {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"rows":[]}' });
    const text = await res.text();
    return res.ok ? 'ok' : `${res.status}${text.includes('"code"') ? ` ${(JSON.parse(text) as { code: string }).code}` : ''}`;
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause;
    return `${(err as Error).name}(${(err as Error).message}) cause ${cause?.code}`;
  }
}

const service = new RowService();
beforeAll(() => service.listen());
afterAll(async () => {
  await service.stop();
  service.db.close();
});

describe('chaos: custom executor faults (HTTP service)', () => {
  it.each(['plain', 'documented'] as const)(`%s executor: 503s, unknown error codes and ECONNREFUSED (fetch failed) for ${FAULT_MS / 1000} s`, async (style) => {
    service.db.exec('DELETE FROM rows');
    const schema = SQLSchema('http_rows', 'update', { id: 'int64', name: 'string', score: 'int32' });
    const seen: string[] = [];
    const third = FAULT_MS / 3;
    await runFaultScenario({
      scenario: `custom executor (${style}): HTTP 503, unknown codes, fetch failed/ECONNREFUSED (${FAULT_MS / 1000} s)`,
      label: `http_exec_${style}`,
      schema,
      executor: () => httpExecutor(() => service.url, style),
      row: (id, poison) => ({ id: BigInt(id), name: `row ${id}`, score: poison ? -1 : id % 1000 }),
      readKeys: async () => (service.db.prepare('SELECT id FROM rows').all() as Array<{ id: number }>).map((r) => String(r.id)),
      expectBreakerOpen: true,
      async fault(ctx: FaultContext) {
        const until = performance.now() + FAULT_MS;
        try {
          service.mode = '503';
          seen.push(await probe(service.url));
          await sleep(third);
          service.mode = 'unknown_code';
          seen.push(await probe(service.url));
          await sleep(third);
          service.mode = 'ok';
          await service.stop();
          seen.push(await probe(service.url));
          await sleep(until - performance.now());
        } finally {
          service.mode = 'ok';
          await service.listen();
          ctx.cleared();
        }
      },
    });
    expect(seen, 'the three faults, as a plain fetch meets them').toEqual(['503', '500 BACKEND_E_SHARD_MOVED', 'TypeError(fetch failed) cause ECONNREFUSED']);
  });
});
