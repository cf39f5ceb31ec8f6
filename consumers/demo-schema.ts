import { randomInt } from 'node:crypto';
import { SQLSchema } from '../src/core/schema.js';

/** Name (and table) of the built-in demo schema. */
export const DEMO_SCHEMA_NAME = 'demo_events';

/** SQLite file of the demo, relative to the working directory. */
export const DEMO_SQLITE_FILE = './data/batchflow.sqlite';

const DEMO_COLUMNS = Object.freeze({ id: 'int64', kind: 'string', payload: 'string', created_at: 'timestamp' } as const);

/** The demo schema as the library sees it: what `enqueue --demo` submits to. */
export const demoSchema = SQLSchema(DEMO_SCHEMA_NAME, 'ignore', DEMO_COLUMNS, { keys: ['id'] });

/**
 * The config the worker runs when it is given none: one SQLite sink and the demo schema, whose
 * table is created if missing. So `npm start` on a fresh machine needs nothing but Redis.
 */
export const DEMO_CONFIG: Readonly<Record<string, unknown>> = Object.freeze({
  sinks: { demo: { type: 'sqlite', filename: DEMO_SQLITE_FILE } },
  schemas: [{ sink: 'demo', table: DEMO_SCHEMA_NAME, conflict: 'ignore', columns: DEMO_COLUMNS, keys: ['id'], createTable: true }],
});

const KINDS = ['page_view', 'click', 'signup', 'purchase'] as const;

/**
 * `count` demo rows. Ids start from the current time in microseconds, so every run adds new
 * rows instead of colliding with (and being ignored as) an earlier run's.
 */
export function demoRows(count: number, now = new Date()): Array<NonNullable<typeof demoSchema.__row>> {
  const base = BigInt(now.getTime()) * 1000n;
  return Array.from({ length: count }, (_, i) => {
    const kind = KINDS[i % KINDS.length] as string;
    return { id: base + BigInt(i), kind, payload: JSON.stringify({ seq: i, value: randomInt(1_000_000) }), created_at: now };
  });
}
