// Scenario 5: thousands of generated bad inputs against every entry point that takes outside
// data: Request setters, Request.fromRow, decodePayload (job data from Redis), Producer.submit,
// HTTP ingest and the config loader. Each must be refused with one of our error classes (or a
// 4xx), never crash with another exception type, and nothing may reach the queue.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { createHttpServer } from '../../consumers/http-server.js';
import { loadConfig } from '../../consumers/config/index.js';
import { AbortedError, ConfigError, DecodeError, Producer, Request, ValidationError } from '../../src/index.js';
import { decodePayload } from '../../src/core/codec.js';
import { BAD_VALUES, BAD_JSON_VALUES, UNKNOWN_COLUMNS, brokenPayload, brokenRow, fuzzSchema, goodJsonRow, goodRow, prng, type FuzzColumn } from '../helpers/bad-inputs.js';
import { BAD_CONFIG_FILES, CONFIG_SECRET, brokenConfig, goodConfig } from '../helpers/bad-configs.js';
import { atScale, recordFigures, since } from '../helpers/chaos-figures.js';
import { useCleanups } from '../helpers/cleanups.js';
import { REDIS_URL, deletePrefix, uniquePrefix } from '../helpers/redis.js';
import { queueKeyPrefix } from '../../src/queue/queue-names.js';

const defer = useCleanups();
const ROUNDS = atScale(5000, 1500); // per in-process target; the I/O targets get a fifth of it
const SEED = Number(process.env.FUZZ_SEED ?? 20240501);
type ErrorClass = abstract new (...args: never[]) => Error;

/** Tally of inputs per target, and every input that was accepted or refused with a foreign error. */
class Verdicts {
  readonly counts = new Map<string, number>();
  readonly escapes: Array<{ target: string; input: string; outcome: string }> = [];

  check(target: string, input: unknown, error: unknown, classes: readonly ErrorClass[]): void {
    this.counts.set(target, (this.counts.get(target) ?? 0) + 1);
    const ours = error !== undefined && classes.some((c) => error instanceof c) && (error as Error).message.length > 0;
    if (!ours) this.escapes.push({ target, input: show(input), outcome: error === undefined ? 'accepted' : `${(error as Error)?.name}: ${(error as Error)?.message}` });
  }

  run(target: string, input: unknown, classes: readonly ErrorClass[], fn: () => unknown): void {
    let error: unknown;
    try {
      fn();
    } catch (err) {
      error = err;
    }
    this.check(target, input, error, classes);
  }

  get total(): number {
    return [...this.counts.values()].reduce((a, b) => a + b, 0);
  }
}

function show(input: unknown): string {
  try {
    return JSON.stringify(input, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : typeof v === 'symbol' ? String(v) : v)).slice(0, 300);
  } catch {
    return String(input);
  }
}

const SETTERS = ['setInt32', 'setInt64', 'setFloat64', 'setString', 'setBool', 'setTime', 'setBytes'] as const;
const SETTER_BASE: Record<(typeof SETTERS)[number], FuzzColumn> = { setInt32: 'score', setInt64: 'id', setFloat64: 'ratio', setString: 'name', setBool: 'ok', setTime: 'at', setBytes: 'blob' };
const COLUMNS = Object.keys(BAD_VALUES) as FuzzColumn[];

describe('chaos: bad input fuzz', () => {
  it(`refuses every generated bad input with our error classes and enqueues nothing (seed ${SEED})`, async () => {
    const rng = prng(SEED);
    const v = new Verdicts();
    const started = performance.now();
    const schema = fuzzSchema('fuzz_events');

    for (let i = 0; i < ROUNDS; i++) {
      // A typed setter: on its own type's column with a bad value, on another type's column, or on an unknown column.
      const setter = rng.pick(SETTERS);
      const own = SETTER_BASE[setter];
      const [column, value] = rng.pick([
        () => [own, rng.pick(BAD_VALUES[own])],
        () => [rng.pick(COLUMNS.filter((c) => c !== own && !(own === 'name' && c === 'note'))), goodRow(i)[own]],
        () => [rng.pick(UNKNOWN_COLUMNS), goodRow(i)[own]],
      ])() as [string, unknown];
      v.run('Request setters', { setter, column, value }, [ValidationError], () => (new Request(schema)[setter] as (c: string, x: unknown) => Request)(column, value));
      const nn = rng.pick(COLUMNS.filter((c) => c !== 'note'));
      v.run('Request setters', { setter: 'setNull', column: nn }, [ValidationError], () => new Request(schema).setNull(nn));
      const col = rng.pick(COLUMNS);
      const bad = rng.pick(BAD_VALUES[col]);
      v.run('Request setters', { setter: 'set', column: col, value: bad }, [ValidationError], () => new Request(schema).set(col, bad));

      const row = rng.int(20) === 0 ? rng.pick([null, undefined, 1, 'x', [], [goodRow(i)], true]) : brokenRow(rng, goodRow(i), BAD_VALUES);
      v.run('Request.fromRow', row, [ValidationError], () => Request.fromRow(schema, row as never));

      // Job data as it comes back from Redis: JSON only.
      const payload = JSON.parse(JSON.stringify(brokenPayload(rng, Request.fromRow(schema, goodRow(i) as never))) ?? 'null') as unknown;
      v.run('decodePayload', payload, [DecodeError], () => decodePayload(schema, payload));
    }

    // Producer and HTTP ingest against a real Redis: every input refused before anything is stored.
    const prefix = uniquePrefix('fuzz');
    const producer = new Producer({ connection: REDIS_URL, schemas: [schema], prefix, maxPayloadBytes: 4096 });
    const queue = new Queue(schema.name, { connection: { url: REDIS_URL }, prefix: queueKeyPrefix(prefix, schema.name) });
    defer(async () => {
      await Promise.all([producer.close(), queue.close()]);
      await deletePrefix(prefix);
    });
    const aborted = AbortSignal.abort();
    for (let i = 0; i < ROUNDS / 5; i++) {
      const attempt: [unknown, () => Promise<void>] = rng.pick<[unknown, () => Promise<void>]>([
        ((r) => [r, () => producer.submit(schema, r as never)])(brokenRow(rng, goodRow(i), BAD_VALUES)),
        ((r) => [r, () => producer.submitMany(schema, [goodRow(i), r] as never)])(brokenRow(rng, goodRow(i), BAD_VALUES)),
        [{ schema: 'nope' }, () => producer.submit('nope', goodRow(i) as never)],
        [{ name: 'x × 5000' }, () => producer.submit(schema, { ...goodRow(i), name: 'x'.repeat(5000) } as never)],
        [{ aborted: true }, () => producer.submit(schema, goodRow(i) as never, { signal: aborted })],
        [{ idempotencyKey: '' }, () => producer.submit(schema, goodRow(i) as never, { idempotencyKey: '' })],
      ]);
      let error: unknown;
      await attempt[1]().catch((err: unknown) => (error = err));
      v.check('Producer.submit', attempt[0], error, [ValidationError, AbortedError]);
    }

    const statuses = new Map<number, number>();
    const http = await createHttpServer({ port: 0, producer, bodyLimit: '16kb' }).listen();
    defer(() => http.close());
    for (let i = 0; i < ROUNDS / 5; i++) {
      const rows = [goodJsonRow(i), brokenRow(rng, goodJsonRow(i + 1), BAD_JSON_VALUES)].sort(() => rng.next() - 0.5);
      const text = JSON.stringify(rows);
      const [route, type, body, expected] = rng.pick<[string, string | undefined, string, number]>([
        [schema.name, 'application/json', text, 400],
        [schema.name, 'application/json', JSON.stringify({ rows }), 400],
        [schema.name, 'application/json', text.slice(0, 1 + rng.int(text.length - 1)), 400], // a proper prefix of a JSON array is never JSON
        [schema.name, 'application/json', rng.pick(['"x"', '1', 'null', 'true', '[]', '{}', '{"rows":5}', '[1]', '[[]]']), 400],
        [schema.name, 'application/json', JSON.stringify(Array.from({ length: 200 }, (_, k) => goodJsonRow(k))), 413],
        [schema.name, rng.pick(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', undefined]), JSON.stringify([goodJsonRow(i)]), 415],
        [rng.pick(['nope', 'fuzz_events.dlq', '..%2F..%2Fetc', 'FUZZ_EVENTS', '%00']), 'application/json', JSON.stringify([goodJsonRow(i)]), 404],
      ]);
      const res = await fetch(`${http.url}/v1/schemas/${route}/requests`, { method: 'POST', headers: type ? { 'content-type': type } : {}, body });
      await res.text();
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      const error = res.status === expected ? new ValidationError('invalid_row', `HTTP ${res.status}`) : undefined;
      v.check('HTTP ingest', { route, type, body: body.slice(0, 200), expected, got: res.status }, error, [ValidationError]);
    }

    // The config loader: mutated objects, and files that are not JSON objects. No message may carry the password.
    expect(() => loadConfig({ fallback: goodConfig(), env: {} })).not.toThrow();
    const dir = mkdtempSync(path.join(tmpdir(), 'bf-fuzz-'));
    defer(() => rmSync(dir, { recursive: true, force: true }));
    for (let i = 0; i < ROUNDS / 5; i++) {
      const file = path.join(dir, `c${i}.json`);
      const config = i % 10 === 0 ? rng.pick(BAD_CONFIG_FILES) : brokenConfig(rng);
      writeFileSync(file, typeof config === 'string' ? config : JSON.stringify(config));
      let error: unknown;
      try {
        loadConfig({ path: file, env: {} });
      } catch (err) {
        error = err;
      }
      const message = error instanceof Error ? error.message : '';
      v.check('config loader', config, message.includes(CONFIG_SECRET) ? new Error(`secret in message: ${message}`) : error, [ConfigError]);
    }

    const counts = await queue.getJobCounts();
    const enqueued = Object.values(counts).reduce((a, b) => a + b, 0);
    recordFigures({
      scenario: '5 bad-input fuzz',
      submitted: v.total,
      landed: enqueued,
      duplicates: 0,
      deadLettered: 0,
      faults: v.total,
      durationMs: since(started),
      notes: `${[...v.counts].map(([t, n]) => `${t} ${n}`).join(', ')}; HTTP ${[...statuses].sort().map(([s, n]) => `${s}×${n}`).join(' ')}; ${v.escapes.length} escaped`,
    });

    expect(v.escapes.slice(0, 10)).toEqual([]);
    expect(enqueued).toBe(0);
  });
});
