import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CONFIG_DEFAULTS, describeConfig, isLoopbackHost, loadConfig } from '../../consumers/config/index.js';
import { ConfigError } from '../../src/errors/config-error.js';
import { isSQLSchema } from '../../src/core/schema.js';

const dir = mkdtempSync(join(tmpdir(), 'bf-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SECRET = 's3cr3t-Pa55';
const good = {
  sinks: {
    main: { type: 'postgres', url: 'env:PG_URL', poolSize: 4 },
    cache: { type: 'redis', url: 'redis://127.0.0.1:6379/2', allowlist: ['SET', 'DEL'] },
    local: { type: 'sqlite', filename: './data/x.sqlite' },
  },
  defaults: { flushSize: 1000 },
  schemas: [
    { sink: 'main', table: 'analytics.events', conflict: 'update', columns: { id: 'int64', kind: 'string', note: 'string?' }, flushIntervalMs: 250 },
    { name: 'kv', sink: 'cache', columns: ['cmd', 'key', 'value'] },
    { sink: 'local', table: 'logs', conflict: 'ignore', columns: { id: 'int64', line: 'string' }, keys: ['id'], createTable: true },
  ],
};
const env = { PG_URL: `postgres://app:${SECRET}@db.internal:5432/prod` };

let n = 0;
function write(config: unknown): string {
  const path = join(dir, `c${n++}.json`);
  writeFileSync(path, typeof config === 'string' ? config : JSON.stringify(config));
  return path;
}

/** Loads `config` and returns the ConfigError it throws (failing the test when it does not throw). */
function errorOf(config: unknown, extraEnv: Record<string, string> = {}): ConfigError {
  try {
    loadConfig({ path: write(config), env: { ...env, ...extraEnv } });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

function withSchema(patch: Record<string, unknown>, index = 0): unknown {
  return { ...good, schemas: good.schemas.map((s, i) => (i === index ? { ...s, ...patch } : s)) };
}

describe('loadConfig', () => {
  it('loads a good config: env references resolved, defaults and per-schema overrides merged', () => {
    const config = loadConfig({ path: write(good), env });
    expect(config.source).toEqual({ kind: 'file', path: expect.stringContaining(dir) });
    expect(config.redisUrl).toBe(CONFIG_DEFAULTS.redisUrl);
    expect(config.prefix).toBe('batchflow');
    expect(config.http).toEqual({ enabled: true, host: '127.0.0.1', port: 9464, readOnly: false, ingest: true });
    expect(config.sinks.main).toEqual({ type: 'postgres', url: env.PG_URL, poolSize: 4 });
    const [events, kv, logs] = config.schemas;
    expect(events?.schema.name).toBe('analytics_events');
    expect(events && isSQLSchema(events.schema) && events.schema.keys).toEqual(['id']);
    expect(events?.tuning).toMatchObject({ flushSize: 1000, flushIntervalMs: 250, maxAttempts: 5, shutdownTimeoutMs: 30_000 });
    expect(kv?.schema).toMatchObject({ kind: 'generic', name: 'kv', columns: ['cmd', 'key', 'value'] });
    expect(kv?.tuning.flushIntervalMs).toBe(1000);
    expect(logs).toMatchObject({ sink: 'local', createTable: true });
  });

  it("accepts flushSize 'auto' with its bounds, and defaults the bounds", () => {
    const config = loadConfig({ path: write(withSchema({ flushSize: 'auto', maxFlushSize: 2000 })), env });
    expect(config.schemas[0]?.tuning).toMatchObject({ flushSize: 'auto', minFlushSize: 100, maxFlushSize: 2000, targetCommitMs: 250 });
    expect(config.schemas[1]?.tuning).toMatchObject({ flushSize: 1000, maxFlushSize: 5000 });
    expect(CONFIG_DEFAULTS.defaults).toMatchObject({ flushSize: 500, minFlushSize: 100, maxFlushSize: 5000, targetCommitMs: 250 });
  });

  it('lets environment variables override the file', () => {
    const config = loadConfig({
      path: write({ ...good, redisUrl: 'redis://file-host:6379', prefix: 'fromfile', http: { port: 1234 } }),
      env: { ...env, REDIS_URL: 'redis://env-host:6380', BATCHFLOW_PREFIX: 'fromenv', BATCHFLOW_HTTP_PORT: '4321', BATCHFLOW_LOG_LEVEL: 'warn' },
    });
    expect(config).toMatchObject({ redisUrl: 'redis://env-host:6380', prefix: 'fromenv', logLevel: 'warn', http: { port: 4321 } });
  });

  it('takes the config path from BATCHFLOW_CONFIG, and --config wins over it', () => {
    const fromEnv = write({ ...good, prefix: 'viaenv' });
    expect(loadConfig({ env: { ...env, BATCHFLOW_CONFIG: fromEnv } }).prefix).toBe('viaenv');
    expect(loadConfig({ path: write({ ...good, prefix: 'viaflag' }), env: { ...env, BATCHFLOW_CONFIG: fromEnv } }).prefix).toBe('viaflag');
  });

  it('uses the fallback when no file is given, and refuses to run without either', () => {
    const config = loadConfig({ env: {}, fallback: { sinks: { d: { type: 'sqlite', filename: 'd.sqlite' } }, schemas: [{ sink: 'd', table: 't', conflict: 'ignore', columns: ['a'] }] } });
    expect(config.source).toEqual({ kind: 'demo' });
    expect(() => loadConfig({ env: {} })).toThrow(/BATCHFLOW_CONFIG: no config file given/);
  });

  it.each([
    ['a non-integer flush size', withSchema({ flushSize: 1.5 }), 'schemas.0.flushSize', 'must be a positive integer'],
    ['a flush size neither a number nor "auto"', withSchema({ flushSize: 'fast' }), 'schemas.0.flushSize', 'must be a positive integer or "auto"'],
    ['adaptive bounds the wrong way round', withSchema({ flushSize: 'auto', minFlushSize: 800, maxFlushSize: 400 }), 'schemas.0.maxFlushSize', 'at least minFlushSize (800)'],
    ['a default max below a schema min', { ...good, defaults: { maxFlushSize: 300 }, schemas: good.schemas.map((s, i) => (i === 0 ? { ...s, minFlushSize: 400 } : s)) }, 'defaults.maxFlushSize', 'at least minFlushSize (400)'],
    ['a negative default', { ...good, defaults: { retryMaxMs: -1 } }, 'defaults.retryMaxMs', 'must be a positive integer'],
    ['a string where a number belongs', withSchema({ maxAttempts: '3' }), 'schemas.0.maxAttempts', 'must be a positive integer'],
    ['an unknown field (typo)', withSchema({ flushSzie: 10 }), 'schemas.0.flushSzie', 'unknown field'],
    ['a missing sink reference', withSchema({ sink: 'nope' }), 'schemas.0.sink', 'no sink named "nope"'],
    ['an unknown sink type', { ...good, sinks: { ...good.sinks, x: { type: 'oracle', url: 'x' } } }, 'sinks.x.type', 'must be one of postgres, mysql, sqlite, redis, module'],
    ['a wrong URL scheme', { ...good, sinks: { ...good.sinks, main: { type: 'postgres', url: 'mysql://h/db' } } }, 'sinks.main.url', 'postgres://'],
    ['a missing required field', { ...good, sinks: { ...good.sinks, local: { type: 'sqlite' } } }, 'sinks.local.filename', 'is required'],
    ['a bad conflict strategy', withSchema({ conflict: 'merge' }), 'schemas.0.conflict', 'must be ignore, replace, update or insert'],
    ['a SQL schema without conflict', withSchema({ conflict: undefined }), 'schemas.0.conflict', 'is required'],
    ['an unknown column type', withSchema({ columns: { id: 'uuid' } }), 'schemas.0.columns.id', 'must be a column type'],
    ['an unsafe column name', withSchema({ columns: ['id', 'x; drop table'] }), 'schemas.0.columns.1', 'must be an identifier'],
    ['a key that is not a column', withSchema({ keys: ['nope'] }), 'schemas.0', 'key column "nope"'],
    ['a table on a Redis sink', withSchema({ table: 't', conflict: 'ignore' }, 1), 'schemas.1.sink', 'is redis'],
    ['createTable with untyped columns', withSchema({ columns: ['id', 'line'] }, 2), 'schemas.2.createTable', 'typed columns'],
    ['a duplicate schema name', { ...good, schemas: [...good.schemas, { name: 'kv', sink: 'cache', columns: ['cmd'] }] }, 'schemas.3.name', 'already defined by schemas.1'],
    ['no schemas', { ...good, schemas: [] }, 'schemas', 'at least one schema'],
    ['a bad port', { ...good, http: { port: 70000 } }, 'http.port', 'port number'],
    ['half-given credentials', { ...good, http: { auth: { username: 'admin' } } }, 'http.auth.password', 'is required'],
    ['empty credentials', { ...good, http: { auth: {} } }, 'http.auth', '"username", "password"'],
    ['a short token', { ...good, http: { auth: { token: 'abc' } } }, 'http.auth.token', 'at least 16 characters'],
    ['zero partitions', withSchema({ partitions: 0 }), 'schemas.0.partitions', 'must be a positive integer'],
    ['too many partitions', withSchema({ partitions: 257 }), 'schemas.0.partitions', 'from 1 to 256'],
    ['partitionBy outside the keys of an update schema', withSchema({ partitions: 2, partitionBy: ['kind'] }), 'schemas.0', 'partitionBy column "kind" is not a key column'],
    ['partitionBy naming no column', withSchema({ partitions: 2, partitionBy: ['nope'] }, 1), 'schemas.1', 'partitionBy column "nope"'],
    ['versionColumn with ignore', withSchema({ versionColumn: 'v' }, 2), 'schemas.2.versionColumn', "needs conflict 'update' or 'replace'"],
    ['a stamped versionColumn that is declared', withSchema({ versionColumn: 'kind' }), 'schemas.0.versionColumn', 'do not declare it'],
    ['a row versionColumn of a string column', withSchema({ versionColumn: 'kind', versionSource: 'row' }), 'schemas.0.versionColumn', 'must be int32, int64'],
    ['versionSource without versionColumn', withSchema({ versionSource: 'row' }), 'schemas.0.versionSource', 'needs a versionColumn'],
    ['versionColumn on a Redis schema', withSchema({ versionColumn: 'v' }, 1), 'schemas.1.versionColumn', 'applies only to SQL schemas'],
    ['a bad key beside a good versionColumn', withSchema({ keys: ['nope'], versionColumn: 'v' }), 'schemas.0', 'key column "nope"'],
  ])('rejects %s, naming the field', (_label, config, field, message) => {
    const error = errorOf(config);
    expect(error.field).toBe(field);
    expect(error.message).toContain(`${field}: `);
    expect(error.message).toContain(message);
  });

  it('builds a versioned schema: stamped by default, or a declared column', () => {
    const stamped = loadConfig({ path: write(withSchema({ versionColumn: 'v' })), env }).schemas[0]?.schema;
    expect(stamped && isSQLSchema(stamped) && stamped.version).toEqual({ column: 'v', index: 3, source: 'submit' });
    const own = loadConfig({ path: write(withSchema({ columns: { id: 'int64', rev: 'int64' }, versionColumn: 'rev', versionSource: 'row' })), env }).schemas[0]?.schema;
    expect(own && isSQLSchema(own) && own.version).toEqual({ column: 'rev', index: 1, source: 'row' });
  });

  it('names the environment variable when an override is invalid', () => {
    expect(errorOf(good, { BATCHFLOW_HTTP_PORT: 'eighty' }).message).toBe('BATCHFLOW_HTTP_PORT: must be a port number 0-65535');
    expect(errorOf(good, { REDIS_URL: 'http://x' }).field).toBe('redisUrl (from REDIS_URL)');
  });

  it('refuses to listen beyond loopback without credentials, and accepts it with them', () => {
    const error = errorOf({ ...good, http: { host: '0.0.0.0' } });
    expect(error.field).toBe('http.auth');
    expect(error.message).toMatch(/reachable beyond loopback.*http\.auth/);
    expect(errorOf(good, { BATCHFLOW_HTTP_HOST: '::' }).field).toBe('http.auth');
    const token = 'tok_0123456789abcdef';
    // ingest beyond loopback needs its own token too
    expect(errorOf({ ...good, http: { host: '0.0.0.0', auth: { token } } }).field).toBe('http.ingestToken');
    const config = loadConfig({ path: write({ ...good, http: { host: '0.0.0.0', auth: { token: 'env:ADMIN_TOKEN' }, ingestToken: token } }), env: { ...env, ADMIN_TOKEN: token } });
    expect(config.http.auth).toEqual({ token });
    expect(loadConfig({ path: write({ ...good, http: { host: '0.0.0.0', auth: { token }, ingest: false } }), env }).http.ingest).toBe(false);
    expect(isLoopbackHost('localhost') && isLoopbackHost('127.0.0.2') && isLoopbackHost('[::1]')).toBe(true);
    expect(isLoopbackHost('0.0.0.0') || isLoopbackHost('::') || isLoopbackHost('10.0.0.5')).toBe(false);
  });

  it('never puts secrets in error messages or in the loggable description', () => {
    const badUrl = errorOf({ ...good, sinks: { ...good.sinks, main: { type: 'postgres', url: `mysql://app:${SECRET}@h/db` } } });
    expect(badUrl.message).not.toContain(SECRET);
    const badJson = errorOf(`{ "redisUrl": "redis://:${SECRET}@h:6379", oops }`);
    expect(badJson.message).toMatch(/not valid JSON at line 1, column \d+/);
    expect(badJson.message).not.toContain(SECRET);
    const missing = errorOf(good, { PG_URL: '' });
    expect(missing.message).toBe('sinks.main.url: environment variable PG_URL is not set');
    const config = loadConfig({ path: write({ ...good, redisUrl: `redis://:${SECRET}@h:6379`, http: { auth: { username: 'a', password: SECRET } } }), env: { PG_URL: `${env.PG_URL}?sslpassword=${SECRET}` } });
    const text = JSON.stringify(describeConfig(config));
    expect(text).not.toContain(SECRET);
    expect(text).toContain('db.internal');
  });

  it('reports an unreadable file by path and code', () => {
    expect(() => loadConfig({ path: join(dir, 'missing.json'), env: {} })).toThrow(/--config: cannot read config file .*missing\.json \(ENOENT\)/);
  });
});

describe('the docker-compose worker config', () => {
  it('loads with the same loader the worker uses', () => {
    const config = loadConfig({
      path: new URL('../../compose/batchflow.json', import.meta.url).pathname,
      env: { BATCHFLOW_ADMIN_PASSWORD: 'compose-admin-pw', BATCHFLOW_INGEST_TOKEN: 'compose-ingest-token' },
    });
    expect(config.http.host).toBe('0.0.0.0');
    expect(config.schemas.map((s) => s.schema.name)).toEqual(['demo_events']);
  });

  it('reads partitions (SQL: routed by keys; others: by partitionBy), 1 when absent', () => {
    const config = loadConfig({ path: write({ ...good, schemas: [{ ...good.schemas[0], partitions: 4 }, { ...good.schemas[1], partitions: 2, partitionBy: ['key'] }, good.schemas[2]] }), env });
    expect(config.schemas.map((s) => s.schema.partitions)).toEqual([4, 2, 1]);
    expect(config.schemas[1]?.schema.partitionBy).toEqual(['key']);
    const sqlRouted = loadConfig({ path: write({ ...good, schemas: [{ ...good.schemas[0], keys: ['id', 'kind'], partitions: 4, partitionBy: ['kind'] }] }), env });
    expect(sqlRouted.schemas[0]?.schema.partitionBy).toEqual(['kind']);
  });
});
