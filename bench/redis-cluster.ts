import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';

const run = promisify(execFile);

/** One node as `CLUSTER NODES` describes it. */
export interface ClusterNodeInfo {
  readonly id: string;
  readonly port: number;
  readonly role: 'master' | 'replica';
  /** The master's node id, for a replica. */
  readonly masterId: string | undefined;
  /** Slot ranges a master serves, e.g. `[[0, 5460]]`. */
  readonly slots: ReadonlyArray<readonly [number, number]>;
  /** Marked failed (`fail` flag) or disconnected. */
  readonly failed: boolean;
}

/** Live clusters of this process, killed by the exit hooks if a caller forgot (or crashed before) `stop()`. */
const live = new Set<RedisCluster>();
let exitHookInstalled = false;

/**
 * Kills every live cluster and removes its dir when the process exits, and on SIGINT/SIGTERM
 * (Node emits no `exit` for a signal's default action). After cleaning up on a signal, it re-raises
 * the signal unless someone else handles it, so Ctrl-C still ends the process as before.
 */
function installExitHooks(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  const cleanUp = () => {
    for (const cluster of live) cluster.killSync();
  };
  process.once('exit', cleanUp);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    const onSignal = () => {
      cleanUp();
      process.removeListener(signal, onSignal);
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}

/** Whether `port` and its cluster bus port (`port + 10000`) are both free on 127.0.0.1. */
async function isFree(port: number): Promise<boolean> {
  const tryListen = (p: number) =>
    new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(p, '127.0.0.1', () => server.close(() => resolve(true)));
    });
  return (await tryListen(port)) && (await tryListen(port + 10_000));
}

async function freeClusterPorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  for (let attempt = 0; ports.length < count && attempt < 500; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 30_000);
    if (!ports.includes(port) && (await isFree(port))) ports.push(port);
  }
  if (ports.length < count) throw new Error('no free ports for a Redis Cluster');
  return ports;
}

async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`Redis Cluster: ${what} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * A private Redis Cluster of 3 masters + 3 replicas on free ports in a temp dir: six
 * `redis-server --cluster-enabled yes` processes joined by `redis-cli --cluster create
 * --cluster-replicas 1`. Failover is fast (`cluster-node-timeout` 2 s by default). `stop()` kills
 * every process and removes the dir; exit and signal hooks do the same if the process ends first.
 * Shared by the cluster tests (through `test/helpers/redis-cluster.ts`) and the bench's `cluster`
 * scenario, so it lives in bench/ (shipped in dist/bench; tests are not).
 *
 * @example
 * ```ts
 * const cluster = await RedisCluster.start();
 * afterAll(() => cluster.stop());
 * const producer = new Producer({ connection: { cluster: { nodes: cluster.seeds } }, schemas });
 * ```
 */
export class RedisCluster {
  readonly #children = new Map<number, ChildProcess>();

  private constructor(
    readonly ports: readonly number[],
    readonly dir: string,
    readonly nodeTimeoutMs: number,
  ) {}

  /** Seed nodes (`"127.0.0.1:port"`), every node of the cluster. */
  get seeds(): string[] {
    return this.ports.map((port) => `127.0.0.1:${port}`);
  }

  /** Starts the six servers, creates the cluster and waits for `cluster_state:ok` on every node (bounded: 60 s). */
  static async start(options: { nodeTimeoutMs?: number } = {}): Promise<RedisCluster> {
    const cluster = new RedisCluster(await freeClusterPorts(6), mkdtempSync(path.join(tmpdir(), 'bf-cluster-')), options.nodeTimeoutMs ?? 2000);
    live.add(cluster);
    installExitHooks();
    try {
      for (const port of cluster.ports) cluster.#spawn(port);
      await until(async () => (await Promise.all(cluster.ports.map((p) => cluster.#ping(p)))).every(Boolean), 20_000, 'servers did not answer PING');
      await run('redis-cli', ['--cluster', 'create', ...cluster.seeds, '--cluster-replicas', '1', '--cluster-yes'], { timeout: 30_000 });
      await until(() => cluster.#healthy(), 30_000, 'cluster_state did not become ok on every node');
      // Until every node knows the replicas as replicas, they read as slot-less masters, and waitReplicasInSync() would find none to wait for.
      await until(async () => (await cluster.nodes()).filter((n) => n.role === 'replica').length === 3, 30_000, 'the three replicas did not show in CLUSTER NODES');
      await cluster.waitReplicasInSync();
      return cluster;
    } catch (err) {
      await cluster.stop();
      throw err;
    }
  }

  /** A plain client of one node (not cluster-aware), for CLUSTER/INFO commands. Caller disconnects. */
  node(port: number): Redis {
    const client = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 1, retryStrategy: () => null, lazyConnect: false });
    client.on('error', () => {});
    return client;
  }

  /** Runs one command on one node and returns its reply. */
  async command(port: number, ...args: [string, ...Array<string | number>]): Promise<unknown> {
    const client = this.node(port);
    try {
      return await client.call(...args);
    } finally {
      client.disconnect();
    }
  }

  /** `CLUSTER NODES` as seen from `fromPort` (any live node by default). */
  async nodes(fromPort?: number): Promise<ClusterNodeInfo[]> {
    const port = fromPort ?? [...this.#children.keys()][0];
    if (port === undefined) throw new Error('no live node');
    const text = String(await this.command(port, 'CLUSTER', 'NODES'));
    return text
      .trim()
      .split('\n')
      .map((line) => {
        const [id = '', address = '', flags = '', master = '-', , , , link = '', ...slots] = line.split(' ');
        return {
          id,
          port: Number(/:(\d+)@/.exec(address)?.[1]),
          role: flags.includes('master') ? 'master' : 'replica',
          masterId: master === '-' ? undefined : master,
          failed: /\bfail\b/.test(flags) || link === 'disconnected',
          slots: slots.filter((s) => !s.startsWith('[')).map((s) => {
            const [from, to = from] = s.split('-').map(Number);
            return [from as number, to as number] as const;
          }),
        } satisfies ClusterNodeInfo;
      });
  }

  /** The live master serving `slot`, as seen from any live node. */
  async masterOfSlot(slot: number): Promise<ClusterNodeInfo> {
    const found = (await this.nodes()).find((n) => n.role === 'master' && !n.failed && n.slots.some(([from, to]) => slot >= from && slot <= to));
    if (!found) throw new Error(`no live master serves slot ${slot}`);
    return found;
  }

  /** `kill -9` of one node; its replica takes over after `cluster-node-timeout`. */
  kill(port: number): void {
    this.#children.get(port)?.kill('SIGKILL');
    this.#children.delete(port);
  }

  /**
   * Starts a killed node again with its `nodes.conf` (no data: persistence is off). It rejoins the
   * cluster as a replica of the master that replaced it and resyncs from it.
   */
  async restart(port: number): Promise<void> {
    if (this.#children.has(port)) throw new Error(`node ${port} is running`);
    this.#spawn(port);
    await until(() => this.#ping(port), 20_000, `node ${port} did not answer PING after restart`);
  }

  /** Waits until every live node reports `cluster_state:ok` and a live master for each slot range. */
  async waitHealthy(timeoutMs = 30_000): Promise<void> {
    await until(() => this.#healthy(), timeoutMs, 'cluster_state did not become ok');
  }

  /**
   * Waits until every live replica has finished its initial sync (`master_link_status:up`): until
   * then a master's WAIT cannot be acknowledged.
   */
  async waitReplicasInSync(timeoutMs = 30_000): Promise<void> {
    await until(
      async () => {
        const replicas = (await this.nodes()).filter((n) => n.role === 'replica' && !n.failed && this.#children.has(n.port));
        const infos = await Promise.all(replicas.map((n) => this.command(n.port, 'INFO', 'replication').then(String)));
        return infos.every((info) => info.includes('master_link_status:up') && info.includes('master_sync_in_progress:0'));
      },
      timeoutMs,
      'replicas did not finish their initial sync',
    );
  }

  /** Kills every server and removes the temp dir. */
  async stop(): Promise<void> {
    const exits = [...this.#children.values()].map((child) => new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', () => resolve()))));
    this.#killAllSync();
    await Promise.race([Promise.all(exits), new Promise((resolve) => setTimeout(resolve, 5000))]);
    rmSync(this.dir, { recursive: true, force: true });
    live.delete(this);
  }

  /** `stop()` without waiting, for exit and signal hooks: SIGKILL to every server, then the dir is removed. */
  killSync(): void {
    this.#killAllSync();
    rmSync(this.dir, { recursive: true, force: true });
    live.delete(this);
  }

  #spawn(port: number): void {
    const child = spawn(
      'redis-server',
      [
        '--port', String(port), '--bind', '127.0.0.1', '--dir', this.dir,
        '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`, '--cluster-node-timeout', String(this.nodeTimeoutMs),
        '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction', '--logfile', `redis-${port}.log`,
      ],
      { stdio: 'ignore' },
    );
    child.on('error', () => {});
    this.#children.set(port, child);
  }

  #killAllSync(): void {
    for (const child of this.#children.values()) child.kill('SIGKILL');
    this.#children.clear();
  }

  async #ping(port: number): Promise<boolean> {
    return (await this.command(port, 'PING').catch(() => '')) === 'PONG';
  }

  async #healthy(): Promise<boolean> {
    const ports = [...this.#children.keys()];
    const infos = await Promise.all(ports.map((port) => this.command(port, 'CLUSTER', 'INFO').then(String)));
    if (!infos.every((info) => info.includes('cluster_state:ok'))) return false;
    const nodes = await this.nodes(ports[0]);
    return nodes.filter((n) => n.role === 'master' && !n.failed && n.slots.length > 0).length === 3;
  }
}
