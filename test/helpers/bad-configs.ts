import type { Rng } from './bad-inputs.js';

/** A password that must never show up in an error message. */
export const CONFIG_SECRET = 'Sup3r-s3cret-pw';

/** A config the loader accepts; every mutation below breaks it. */
export const goodConfig = () => ({
  redisUrl: `redis://:${CONFIG_SECRET}@127.0.0.1:6379`,
  sinks: { main: { type: 'postgres', url: `postgres://app:${CONFIG_SECRET}@db.internal:5432/prod` } },
  schemas: [{ sink: 'main', table: 'events', conflict: 'update', columns: { id: 'int64', kind: 'string' } }],
});

/** Dotted field → values the loader must refuse there (each one alone makes the config invalid). */
const BAD_FIELDS: ReadonlyArray<readonly [string, readonly unknown[]]> = [
  ['redisUrl', ['http://x', 'redis//x', 5, '', `mysql://u:${CONFIG_SECRET}@h/db`, null, 'env:NOT_SET_ANYWHERE']],
  ['prefix', ['a:b', 'a b', '', 5]],
  ['logLevel', ['loud', 5, null]],
  ['http', [5, 'x', []]],
  ['http.port', [70000, -1, 1.5, '80']],
  ['http.host', ['', 5, '0.0.0.0', '::', '10.0.0.1']],
  ['http.auth', [{ username: 'a' }, { password: CONFIG_SECRET }, { token: 'short' }, {}, { username: 'a:b', password: CONFIG_SECRET }, 'x']],
  ['http.extra', [1]],
  ['sinks.main.type', ['oracle', 5, null]],
  ['sinks.main.url', ['http://x', `mysql://a:${CONFIG_SECRET}@h/d`, `postgres//app:${CONFIG_SECRET}@h`, '', 5, 'env:NOT_SET_ANYWHERE', 'env:bad name']],
  ['sinks.main.poolSize', [0, -1, 1.5, '4']],
  ['sinks.main.extra', [1]],
  ['sinks', [[], 'x', {}]],
  ['sinks.bad-name', [{ type: 'sqlite', filename: 'x' }]],
  ['schemas', [[], {}, 'x', null]],
  ['schemas.0.table', ['x; DROP TABLE y', 'a.b.c', '', 5, '1abc', 'na"me', 'a b']],
  ['schemas.0.conflict', ['merge', 5, null]],
  ['schemas.0.columns', [{}, [], { 'bad-name': 'int64' }, { id: 'int128' }, 'id', { id: 5 }, ['id', 'id']]],
  ['schemas.0.keys', [['nope'], [], 'id']],
  ['schemas.0.versionColumn', ['id', 'kind', 5, 'bad-name', '']],
  ['schemas.0.versionSource', ['later', 5, 'row']],
  ['schemas.0.sink', ['other', '', 5]],
  ['schemas.0.flushSize', [0, -5, 1.5, '10']],
  ['schemas.0.extra', [1]],
  ['defaults.flushSize', [0, 'x']],
  ['extra', [1]],
];

function setPath(target: Record<string, unknown>, dotted: string, value: unknown): void {
  const parts = dotted.split('.');
  let node: Record<string, unknown> = target;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    if (next === null || typeof next !== 'object') node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[parts.at(-1) as string] = value;
}

/** The good config with 1-2 fields set to values the loader must refuse. */
export function brokenConfig(rng: Rng): Record<string, unknown> {
  const config: Record<string, unknown> = structuredClone(goodConfig());
  const mutations = 1 + rng.int(2);
  for (let m = 0; m < mutations; m++) {
    const [field, values] = rng.pick(BAD_FIELDS);
    setPath(config, field, structuredClone(rng.pick(values)));
  }
  return config;
}

/** File contents that are not a JSON object. */
export const BAD_CONFIG_FILES = ['', '{', '{"redisUrl": }', `{"redisUrl": "redis://:${CONFIG_SECRET}@h" ,,}`, '[]', 'null', '"x"', '42', '{"a":1}x', '\u0000'];
