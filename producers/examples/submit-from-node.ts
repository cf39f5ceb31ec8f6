/**
 * A tiny Node app that submits rows to BatchFlow. It uses the same schema as the worker's
 * built-in demo, so with `npm start` running in another terminal the rows land in
 * `./data/batchflow.sqlite`:
 *
 * ```sh
 * npm run build && node dist/producers/examples/submit-from-node.js [redis-url]
 * ```
 */
import { Producer, Request, SQLSchema, ValidationError } from '../../src/index.js';

// Typed columns: rows are checked before anything is enqueued, and TypeScript infers the row type.
const events = SQLSchema('demo_events', 'ignore', { id: 'int64', kind: 'string', payload: 'string', created_at: 'timestamp' });

async function main(redisUrl: string): Promise<void> {
  const producer = new Producer({ connection: redisUrl, schemas: [events] });
  try {
    // Ids from the clock, so a second run adds rows instead of being ignored as duplicates.
    const base = BigInt(Date.now()) * 1000n;
    const now = new Date();

    // Each promise resolves only once Redis has stored the request: after it, a crash loses nothing.
    await producer.submit(events, { id: base, kind: 'signup', payload: '{"plan":"free"}', created_at: now });
    await producer.submit(new Request(events).setInt64('id', base + 1n).setString('kind', 'login').setString('payload', '{}').setTime('created_at', now));
    await producer.submitMany(
      events,
      Array.from({ length: 100 }, (_, i) => ({ id: base + 2n + BigInt(i), kind: 'page_view', payload: JSON.stringify({ page: i }), created_at: now })),
    );
    console.log('102 requests stored in Redis; the worker writes them in batches');

    // Bad input is refused before it reaches the queue, naming the column.
    try {
      await producer.submit(events, { id: base + 999n, kind: 42, payload: '', created_at: now } as never);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      console.log(`refused, nothing enqueued: ${err.kind} on column ${err.column}`);
    }
  } finally {
    await producer.close();
  }
}

await main(process.argv[2] ?? 'redis://127.0.0.1:6379');
