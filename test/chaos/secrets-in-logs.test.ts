// Scenario 6b: no secret in logs or errors. The real worker CLI runs with passwords in every URL
// (Redis with requirepass, PostgreSQL and MySQL through env references), admin credentials and an
// ingest token; then with sinks and Redis unreachable or refusing the password. Every line it
// prints, and every error the library raises for such URLs, must be free of every secret.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { BatchConsumer, MySqlDriver, PostgresDriver, Producer, RedisDriver, Request } from '../../src/index.js';
import { recordFigures } from '../helpers/chaos-figures.js';
import { SCORE_COLUMNS, pgScenario, scoreRows } from '../helpers/chaos-pg.js';
import { spawnNode, type Spawned } from '../helpers/child-process.js';
import { useCleanups } from '../helpers/cleanups.js';
import { CLI, assertCliBuilt, freePort } from '../helpers/cli.js';
import { basicAuth } from '../helpers/http.js';
import { waitFor } from '../helpers/redis.js';
import { RedisServer } from '../helpers/redis-server.js';

const defer = useCleanups();
const SECRETS = {
  redis: 'r3dis-Pw-6a1f',
  postgres: 'pg-Pw-77c2e0',
  mysql: 'my-Pw-0b9d14',
  admin: 'adm1n-Pw-c3d5',
  ingest: 'ingest-T0ken-5e2a9c41d7',
  wrongRedis: 'wr0ng-Redis-Pw-88',
};
const leaks = (text: string) => Object.entries(SECRETS).filter(([, secret]) => text.includes(secret) || text.includes(encodeURIComponent(secret)));
const pgUrl = (port: number) => `postgres://postgres:${SECRETS.postgres}@127.0.0.1:${port}/test`;

describe('chaos: secrets in logs and errors', () => {
  it('keeps every password and token out of the worker CLI logs and out of error messages', async () => {
    assertCliBuilt();
    const started = performance.now();
    const redis = await RedisServer.create({ args: [], password: SECRETS.redis });
    await redis.start();
    defer(() => redis.remove());
    const s = await pgScenario('secrets', defer, { redisUrl: redis.url });
    const dir = mkdtempSync(path.join(tmpdir(), 'bf-secrets-'));
    defer(() => rmSync(dir, { recursive: true, force: true }));
    const runs: Spawned[] = [];
    const worker = (name: string, config: Record<string, unknown>, env: Record<string, string>) => {
      const file = path.join(dir, `${name}.json`);
      writeFileSync(file, JSON.stringify({ prefix: s.prefix, logLevel: 'debug', ...config }));
      const run = spawnNode([CLI, '--config', file, 'worker'], { REDIS_URL: redis.url, PG_SECRET_URL: pgUrl(5432), ...env });
      defer(() => void (run.child.exitCode === null && run.child.kill('SIGKILL')));
      runs.push(run);
      return run;
    };
    const pgSchema = (extra: Record<string, unknown> = {}) => ({ sink: 'pg', table: s.table, conflict: 'update', columns: SCORE_COLUMNS, shutdownTimeoutMs: 2000, ...extra });

    // 1. Healthy: rows flow, the admin side is called with wrong and right credentials, ingest with its token.
    const port = await freePort();
    const healthy = worker('healthy', {
      sinks: { pg: { type: 'postgres', url: 'env:PG_SECRET_URL' } },
      schemas: [pgSchema()],
      http: { host: '127.0.0.1', port, auth: { username: 'admin', password: SECRETS.admin }, ingestToken: SECRETS.ingest },
    }, {});
    await healthy.waitForLine(/"event":"ready"/);
    await s.producer.submitMany(s.schema, scoreRows(500));
    for (const authorization of [basicAuth('admin', 'nope'), basicAuth('admin', SECRETS.admin), `Bearer ${SECRETS.ingest}`]) {
      await (await fetch(`http://127.0.0.1:${port}/admin/api/queues`, { headers: { authorization } })).text();
    }
    const ingest = await fetch(`http://127.0.0.1:${port}/v1/schemas/${s.schema.name}/requests`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${SECRETS.ingest}` }, body: JSON.stringify({ id: '500', name: 'via http', score: 1 }),
    });
    expect(ingest.status).toBe(202);
    expect(await waitFor(async () => (await s.landed()) === 501, 30_000)).toBe(true);
    healthy.child.kill('SIGTERM');
    expect(await healthy.exited).toBe(0);

    // 2. Sinks unreachable (wrong ports) with passwords in their URLs: the breaker opens and logs.
    const mysqlSchema = { sink: 'my', table: 'secrets_never_created', conflict: 'update', columns: SCORE_COLUMNS, shutdownTimeoutMs: 2000 };
    const down = worker('sinks-down', {
      sinks: { pg: { type: 'postgres', url: 'env:PG_SECRET_URL' }, my: { type: 'mysql', url: `mysql://root:${SECRETS.mysql}@127.0.0.1:1/test` } },
      schemas: [pgSchema(), mysqlSchema],
      http: { enabled: false },
    }, { PG_SECRET_URL: pgUrl(1) });
    // 3. A table to create on an unreachable PostgreSQL: start-up fails.
    const noStart = worker('no-start', { sinks: { pg: { type: 'postgres', url: 'env:PG_SECRET_URL' } }, schemas: [pgSchema({ createTable: true })], http: { enabled: false } }, { PG_SECRET_URL: pgUrl(1) });
    // 4. and 5. Redis refusing the password, and Redis unreachable.
    const redisBase = { sinks: { pg: { type: 'postgres', url: 'env:PG_SECRET_URL' } }, schemas: [pgSchema()], http: { enabled: false } };
    const wrongPw = worker('redis-wrong-pw', redisBase, { REDIS_URL: `redis://:${SECRETS.wrongRedis}@127.0.0.1:${redis.port}` });
    const noRedis = worker('redis-down', redisBase, { REDIS_URL: `redis://:${SECRETS.redis}@127.0.0.1:1` });
    await down.waitForLine(/"event":"ready"/);
    await s.producer.submitMany(s.schema, scoreRows(10, 1000));
    await down.waitForLine(/"event":"breaker".*"state":"open"/);
    expect(await noStart.exited).toBe(1);
    await Promise.all([wrongPw, noRedis].map((run) => waitFor(() => run.lines.some((l) => /error/i.test(l)), 15_000)));
    await sleep(1000);
    for (const run of [down, wrongPw, noRedis]) {
      run.child.kill('SIGTERM');
      await Promise.race([run.exited, sleep(15_000)]);
    }

    // The library itself: errors for unreachable sinks and Redis with passwords in their URLs.
    const errors: unknown[] = [];
    const capture = (p: Promise<unknown>) => p.then(() => errors.push(new Error('unexpectedly succeeded')), (err: unknown) => errors.push(err));
    const pg = new PostgresDriver({ connectionString: pgUrl(1), connectTimeoutMs: 1000 });
    const my = new MySqlDriver({ connectionString: `mysql://root:${SECRETS.mysql}@127.0.0.1:1/test` });
    const rd = new RedisDriver({ url: `redis://:${SECRETS.redis}@127.0.0.1:1` });
    const rdWrong = new RedisDriver({ url: `redis://:${SECRETS.wrongRedis}@127.0.0.1:${redis.port}` });
    await Promise.all([capture(pg.ping()), capture(my.execute(s.schema, [Request.fromRow(s.schema, scoreRows(1)[0] as never)])), capture(rd.ping()), capture(rdWrong.ping())]);
    await Promise.all([pg.close(), my.close(), rd.close(), rdWrong.close()]);
    for (const url of [`redis://:${SECRETS.redis}@127.0.0.1:1`, `redis://:${SECRETS.wrongRedis}@127.0.0.1:${redis.port}`]) {
      const offline = new Producer({ connection: url, schemas: [s.schema], prefix: s.prefix, enqueueTimeoutMs: 2000 });
      await capture(offline.submit(s.schema, scoreRows(1)[0] as never));
      await offline.close();
    }
    const consumer = new BatchConsumer({ connection: `redis://:${SECRETS.wrongRedis}@127.0.0.1:${redis.port}`, schema: s.schema, executor: pg, prefix: s.prefix });
    consumer.on('error', (err) => errors.push(err));
    await waitFor(() => errors.length > 5, 10_000);
    await consumer.close();

    const lines = runs.flatMap((run) => run.lines);
    const found = [...lines.flatMap((line) => leaks(line).map(([name]) => `${name} in log: ${line.slice(0, 300)}`)), ...errors.flatMap((err) => leaks(inspect(err, { depth: 8 })).map(([name]) => `${name} in error: ${inspect(err).slice(0, 300)}`))];
    recordFigures({
      scenario: '6 secrets in logs (worker CLI, 5 runs) and errors',
      submitted: 511,
      landed: await s.landed(),
      duplicates: await s.duplicates(),
      deadLettered: await s.dlq.count(),
      faults: 4,
      durationMs: Math.round(performance.now() - started),
      notes: `${lines.length} log lines and ${errors.length} errors scanned for ${Object.keys(SECRETS).length} secrets: ${found.length} found (the 10 rows sent while the sink was unreachable stay queued)`,
    });
    expect(found).toEqual([]);
    // The scan is not vacuous: each failure was logged.
    expect(noStart.lines.some((l) => l.includes('"start-failed"'))).toBe(true);
    expect(wrongPw.lines.some((l) => /WRONGPASS|NOAUTH/.test(l))).toBe(true);
    expect(noRedis.lines.some((l) => l.includes('ECONNREFUSED'))).toBe(true);
    expect(errors.length).toBeGreaterThan(5);
  });
});
