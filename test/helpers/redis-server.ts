import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './cli.js';
import { waitFor } from './redis.js';

/**
 * A private redis-server the test may kill and restart, so the shared Redis at 6379 (used by
 * every other test) is never disturbed. AOF is on by default, with the data directory kept across
 * restarts, which is what a production Redis behind BatchFlow needs.
 */
export class RedisServer {
  #child: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();

  private constructor(
    readonly port: number,
    readonly dir: string,
    readonly args: readonly string[],
    readonly password: string | undefined,
  ) {}

  /**
   * Creates (does not start) a server on a free port with a fresh data directory.
   * `password` turns on `requirepass`; it is then part of {@link RedisServer.url}.
   */
  static async create(options: { args?: readonly string[]; password?: string } = {}): Promise<RedisServer> {
    const args = options.args ?? ['--appendonly', 'yes', '--appendfsync', 'everysec'];
    const auth = options.password === undefined ? [] : ['--requirepass', options.password];
    return new RedisServer(await freePort(), mkdtempSync(path.join(tmpdir(), 'bf-redis-')), [...args, ...auth], options.password);
  }

  get url(): string {
    return `redis://${this.password === undefined ? '' : `:${encodeURIComponent(this.password)}@`}127.0.0.1:${this.port}`;
  }

  /** Starts redis-server and waits until it answers PING (after loading its AOF). */
  async start(): Promise<void> {
    // noeviction: BullMQ requires it, an evicted job key would be a lost request.
    const child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--save', '', '--maxmemory-policy', 'noeviction', ...this.args], {
      stdio: 'ignore',
    });
    this.#child = child;
    this.#exited = new Promise((resolve) => child.once('exit', () => resolve()));
    const up = await waitFor(() => this.#ping(), 20_000, 50);
    if (!up) throw new Error(`redis-server on port ${this.port} did not answer PING`);
  }

  /** kill -9: no shutdown save, no goodbye to clients. */
  async kill(): Promise<void> {
    this.#child?.kill('SIGKILL');
    await this.#exited;
    this.#child = undefined;
  }

  /** One `INFO <section>` field as a number (e.g. `used_memory`). */
  async infoNumber(section: string, field: string): Promise<number> {
    const client = new Redis(this.url, { maxRetriesPerRequest: 1, lazyConnect: true });
    try {
      await client.connect();
      const info = await client.info(section);
      return Number(new RegExp(`^${field}:(\\S+)`, 'm').exec(info)?.[1] ?? NaN);
    } finally {
      client.disconnect();
    }
  }

  /** Stops the server (if running) and deletes its data directory. */
  async remove(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }

  async #ping(): Promise<boolean> {
    const client = new Redis(this.url, { maxRetriesPerRequest: 0, lazyConnect: true, retryStrategy: () => null });
    client.on('error', () => {});
    try {
      await client.connect();
      return (await client.ping()) === 'PONG';
    } catch {
      return false; // refused, or LOADING while the AOF is replayed
    } finally {
      client.disconnect();
    }
  }
}
