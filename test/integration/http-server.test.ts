import { afterEach, describe, expect, it } from 'vitest';
import { createHttpServer, type HttpServerOptions, type ListeningHttpServer } from '../../consumers/http-server.js';
import { safeEqual } from '../../producers/request-auth.js';
import { httpAuthIssues } from '../../consumers/config/http-auth-rules.js';
import { ConfigError, MockExecutor, PrometheusReporter, Producer, Schema, SinkError } from '../../src/index.js';
import { basicAuth, consumerWithBoardQueues } from '../helpers/http.js';
import { REDIS_URL, deletePrefix, uniquePrefix, waitFor } from '../helpers/redis.js';

const ADMIN = { username: 'admin', password: 's3cret-Pa55word' };
const GOOD = basicAuth(ADMIN.username, ADMIN.password);
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function serve(options: HttpServerOptions): Promise<ListeningHttpServer> {
  const server = await createHttpServer({ port: 0, ...options }).listen();
  cleanups.push(() => server.close());
  return server;
}

/** A schema whose sink rejects id 13 until `fixed` is set: one entry parked in the DLQ. */
async function withDeadLetter() {
  const schema = Schema('orders', { id: 'int64', note: 'string' });
  const prefix = uniquePrefix('http');
  const state = { fixed: false };
  const mock = new MockExecutor({
    behaviour: (_s, requests) => {
      if (!state.fixed && requests.some((r) => r.getInt64('id') === 13n)) throw new SinkError('non_retryable', 'check violation', { sinkCode: '23514' });
    },
  });
  const producer = new Producer({ connection: REDIS_URL, schemas: [schema], prefix });
  const { consumer, queues, close } = consumerWithBoardQueues({ schema, executor: mock, prefix });
  cleanups.push(() => deletePrefix(prefix), close, () => producer.close());
  await producer.submitMany(schema, [{ id: 12n, note: 'ok' }, { id: 13n, note: 'bad' }]);
  expect(await waitFor(async () => (await consumer.dlq.list()).some((r) => r.state === 'failed'))).toBe(true);
  const [record] = await consumer.dlq.list();
  const landed = () => mock.committedRequests().some((r) => r.getInt64('id') === 13n);
  return { queues, consumer, state, landed, retryPath: `/admin/api/queues/orders.dlq/${record?.id}/retry` };
}

describe('createHttpServer: options and start-up', () => {
  it('refuses to start beyond loopback without auth, naming the field and the fix', () => {
    for (const host of ['0.0.0.0', '::', '10.1.2.3', 'worker.internal']) {
      const err = (() => {
        try {
          createHttpServer({ host });
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).field).toBe('auth');
      expect((err as Error).message).toMatch(/beyond loopback.*configure auth/);
    }
    expect(() => createHttpServer({ host: '0.0.0.0', auth: { token: 'a-long-enough-token' } })).not.toThrow();
    expect(() => createHttpServer({ host: '::1' })).not.toThrow();
  });

  it('refuses HTTP ingest beyond loopback without an ingest token', () => {
    const producer = { schemas: [], submitMany: async () => {} };
    const auth = { token: 'a-long-enough-token' };
    expect(() => createHttpServer({ host: '0.0.0.0', auth, producer })).toThrow(/ingest would be reachable beyond loopback/);
    expect(() => createHttpServer({ host: '0.0.0.0', auth, producer, ingestToken: 'another-long-token' })).not.toThrow();
    expect(() => createHttpServer({ host: '127.0.0.1', producer })).not.toThrow();
  });

  it('rejects half-given or empty credentials without echoing them', () => {
    const attempts = [{ username: 'admin' }, { password: 'hunter2-secret' }, { token: '' }, { username: 'a:b', password: 'hunter2-secret' }];
    for (const auth of attempts) {
      let message = '';
      try {
        createHttpServer({ auth });
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message).not.toBe('');
      expect(message).not.toContain('hunter2-secret');
    }
  });

  it('holds the same auth rules as the config file: a short token fails both, naming the field', () => {
    const short = { token: 'short-token' };
    const fieldOf = (run: () => unknown): string | undefined => {
      try {
        run();
      } catch (e) {
        return e instanceof ConfigError ? e.field : 'not a ConfigError';
      }
      return undefined;
    };
    expect(fieldOf(() => createHttpServer({ auth: short }))).toBe('auth.token');
    expect(fieldOf(() => createHttpServer({ producer: { schemas: [], submitMany: async () => {} }, ingestToken: 'short-token' }))).toBe('ingestToken');
    expect(httpAuthIssues(short)).toEqual([{ path: ['token'], message: 'must be at least 16 characters' }]);
  });

  it('compares secrets by value, whatever their lengths', () => {
    expect(safeEqual('abc', 'abc')).toBe(true);
    expect(safeEqual('abc', 'abd')).toBe(false);
    expect(safeEqual('abc', 'abcd')).toBe(false);
    expect(safeEqual('', 'x')).toBe(false);
  });
});

describe('createHttpServer: health, readiness and metrics', () => {
  it('serves /healthz, /readyz from the service callback (503 when not ready, failing or hanging) and /metrics', async () => {
    let verdict: boolean | 'throw' | 'hang' = true;
    const reporter = new PrometheusReporter({ collectDefaultMetrics: false });
    reporter.rowsCommitted('orders', 'postgres', 7);
    const server = await serve({
      metrics: reporter,
      readyTimeoutMs: 200,
      ready: () => {
        if (verdict === 'throw') throw new Error('connect ECONNREFUSED redis://:topsecret@10.0.0.1');
        if (verdict === 'hang') return new Promise<boolean>(() => {});
        return { ready: verdict, checks: { redis: verdict, consumers: true } };
      },
    });
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${server.url}/readyz`);
    expect([ready.status, await ready.json()]).toEqual([200, { ready: true, checks: { redis: true, consumers: true } }]);
    verdict = false;
    expect((await fetch(`${server.url}/readyz`)).status).toBe(503);
    verdict = 'throw';
    const failed = await fetch(`${server.url}/readyz`);
    expect(failed.status).toBe(503);
    expect(await failed.text()).not.toContain('topsecret');
    verdict = 'hang';
    expect((await fetch(`${server.url}/readyz`)).status).toBe(503);

    const metrics = await fetch(`${server.url}/metrics`);
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(await metrics.text()).toContain('batchflow_rows_committed_total{schema="orders",sink="postgres"} 7');
    expect((await fetch(`${server.url}/v1/schemas/orders/requests`, { method: 'POST' })).status).toBe(404); // no producer: no ingest
  });
});

describe('createHttpServer: admin auth and DLQ actions', () => {
  it('requires credentials for /admin and for a DLQ retry when auth is configured (also on loopback)', async () => {
    const { queues, state, landed, retryPath } = await withDeadLetter();
    const server = await serve({ auth: { ...ADMIN, token: 'admin-bearer-token-0123' }, queues, metrics: new PrometheusReporter({ collectDefaultMetrics: false }) });

    const anonymous = await fetch(`${server.url}/admin`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toContain('Basic realm="BatchFlow admin"');
    expect((await fetch(`${server.url}/admin`, { headers: { authorization: basicAuth('admin', 'wrong') } })).status).toBe(401);
    expect((await fetch(`${server.url}/admin/api/queues`, { headers: { authorization: 'Bearer nope' } })).status).toBe(401);
    expect((await fetch(`${server.url}/metrics`)).status).toBe(200); // scraping stays open

    state.fixed = true;
    expect((await fetch(`${server.url}${retryPath}`, { method: 'PUT' })).status).toBe(401);
    // A logged-in admin's browser lured by another site: credentials ride along, the origin gives it away.
    const forged = await fetch(`${server.url}${retryPath}`, { method: 'PUT', headers: { authorization: GOOD, origin: 'https://evil.example' } });
    expect(forged.status).toBe(403);
    await new Promise((r) => setTimeout(r, 300));
    expect(landed()).toBe(false);

    const board = await fetch(`${server.url}/admin/api/queues`, { headers: { authorization: 'Bearer admin-bearer-token-0123' } });
    expect(board.status).toBe(200);
    const names = ((await board.json()) as { queues: Array<{ name: string }> }).queues.map((q) => q.name);
    expect(names.sort()).toEqual(['orders', 'orders.dlq']);

    expect((await fetch(`${server.url}${retryPath}`, { method: 'PUT', headers: { authorization: GOOD } })).status).toBe(204);
    expect(await waitFor(landed)).toBe(true);
  });

  it('read-only mode refuses DLQ actions even with credentials', async () => {
    const { queues, consumer, state, landed, retryPath } = await withDeadLetter();
    const server = await serve({ auth: ADMIN, queues, readOnly: true });
    state.fixed = true;
    const retry = await fetch(`${server.url}${retryPath}`, { method: 'PUT', headers: { authorization: GOOD } });
    expect(retry.status).toBe(405);
    expect((await fetch(`${server.url}/admin/api/queues/orders.dlq/retry/failed`, { method: 'PUT', headers: { authorization: GOOD } })).status).toBe(405);
    const board = await fetch(`${server.url}/admin/api/queues`, { headers: { authorization: GOOD } });
    expect(((await board.json()) as { queues: Array<{ readOnlyMode: boolean; allowRetries: boolean }> }).queues).toEqual(
      expect.arrayContaining([expect.objectContaining({ readOnlyMode: true, allowRetries: false })]),
    );
    await new Promise((r) => setTimeout(r, 300));
    expect(landed()).toBe(false);
    expect(await consumer.dlq.count()).toBe(1);
  });
});
