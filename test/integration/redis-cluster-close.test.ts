import { randomUUID } from 'node:crypto';
import { Cluster } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { BatchConsumer, MockExecutor, Producer, SQLSchema } from '../../src/index.js';
import { RedisCluster } from '../helpers/redis-cluster.js';
import { waitFor } from '../helpers/redis.js';

// A closed consumer must leave no connection to a Redis Cluster. BullMQ 6.7 reconnected a
// Worker's blocking Cluster client while the Worker closed (its own cut of the blocking fetch
// looked like a lost cluster), and the reconnected client's nodes could escape its quit(): sockets
// stayed open after close() (often to the replicas, last command READONLY) and kept the process
// alive. The reconnect happened on most closes; the socket left behind in a few (3 runs in 40 of
// the script in docs/guides/partitions-and-cluster.md's note). So this checks both, over several
// close cycles: no Cluster client reconnects during close(), and no socket to the cluster is left.

const PARTITIONS = 4;
const CYCLES = 6;
const ROWS = 40;
const schema = SQLSchema('closeleak', 'ignore', { id: 'int64', body: 'string' }, { partitions: PARTITIONS });

let cluster: RedisCluster;

beforeAll(async () => {
  cluster = await RedisCluster.start();
}, 90_000);

afterAll(async () => {
  await cluster?.stop();
});

afterEach(() => {
  vi.restoreAllMocks();
});

/** This process's open sockets to the cluster's nodes. */
function clusterSockets(): Array<{ remotePort?: number }> {
  const ports = new Set(cluster.seeds.map((seed) => Number(seed.split(':')[1])));
  const handles = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles();
  return handles.filter((h): h is { remotePort?: number } => (h as { constructor?: { name?: string } })?.constructor?.name === 'Socket' && ports.has((h as { remotePort?: number }).remotePort ?? -1));
}

describe('closing a consumer on a Redis Cluster (3 masters + 3 replicas)', () => {
  it(`leaves no connection open and reconnects nothing while it closes (${CYCLES} cycles, ${PARTITIONS} partitions, a batch in flight)`, async () => {
    const connection = { cluster: { nodes: cluster.seeds } };
    // Cluster.connect() on a client that was connected before: a reconnect (a new client's first connect is from its constructor, status unset).
    const reconnects: string[] = [];
    let closing = false;
    const connect = Cluster.prototype.connect;
    vi.spyOn(Cluster.prototype, 'connect').mockImplementation(function (this: Cluster) {
      if (closing && this.status !== undefined && this.status !== 'wait') reconnects.push(`${this.options.redisOptions?.connectionName ?? '?'} from ${this.status}`);
      return connect.call(this);
    });
    const leftOpen: number[] = [];
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      const prefix = `bfcl${randomUUID().slice(0, 8)}`;
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      // The first batch waits until close() has begun, so close has a batch in flight to commit.
      const executor = new MockExecutor({ behaviour: (_schema, _requests, call) => (call === 0 ? held : undefined) });
      const consumer = new BatchConsumer({ connection, prefix, schema, executor, flushIntervalMs: 20 });
      consumer.on('error', () => {});
      await consumer.waitUntilReady();
      const producer = new Producer({ connection, prefix, schemas: [schema] });
      await producer.submitMany(schema, Array.from({ length: ROWS }, (_, i) => ({ id: BigInt(i), body: 'x' })));
      await producer.close();
      expect(await waitFor(() => executor.calls.length > 0, 20_000)).toBe(true);

      closing = true;
      const closed = consumer.close();
      setTimeout(release, 50);
      await closed;
      closing = false;

      expect(executor.committed.length).toBe(executor.calls.length); // the batch in flight was committed, none aborted
      if (!(await waitFor(() => clusterSockets().length === 0, 3000))) {
        leftOpen.push(clusterSockets().length);
        for (const socket of clusterSockets()) (socket as { destroy?: () => void }).destroy?.();
      }
    }
    expect(reconnects).toEqual([]);
    expect(leftOpen).toEqual([]);
  }, 90_000);
});
