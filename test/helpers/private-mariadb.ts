import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { freePort } from './cli.js';
import { waitFor } from './redis.js';

/** Every private server still alive, so a crashed or interrupted run never leaves one behind. */
const alive = new Set<PrivateMariaDb>();
let hooked = false;
function hookExit(): void {
  if (hooked) return;
  hooked = true;
  // Synchronous only: at `exit` there is no event loop left for anything else.
  process.once('exit', () => {
    for (const server of alive) server.killSync();
  });
}

/** Options of {@link PrivateMariaDb.create}. */
export interface PrivateMariaDbOptions {
  /** Extra `mariadbd` arguments, e.g. `--innodb-lock-wait-timeout=1`. */
  args?: readonly string[];
  /** Name of the non-SUPER user created by {@link PrivateMariaDb.create} (no password). @defaultValue 'app' */
  appUser?: string;
}

/**
 * A private MariaDB server on a free loopback port with its own data directory, for faults that
 * would break the shared server at 3306 for other tests (kill, read_only, global timeouts).
 *
 * `create()` runs `mariadb-install-db`, starts `mariadbd`, creates database `test` and a non-SUPER
 * user (`app`, granted SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, INDEX, ALTER on `test.*`),
 * which `read_only=ON` does stop (root, with SUPER / READ_ONLY ADMIN, would write on). `remove()`
 * always stops the server and deletes the directory; a process exit kills it too.
 */
export class PrivateMariaDb {
  #child: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();
  #log = '';

  private constructor(
    readonly port: number,
    readonly dir: string,
    readonly args: readonly string[],
    readonly appUser: string,
  ) {}

  /** Initialises a data directory, starts the server and creates `test` and the app user. */
  static async create(options: PrivateMariaDbOptions = {}): Promise<PrivateMariaDb> {
    const dir = mkdtempSync(path.join(tmpdir(), 'bf-mariadb-'));
    const server = new PrivateMariaDb(await freePort(), dir, options.args ?? [], options.appUser ?? 'app');
    alive.add(server);
    hookExit();
    try {
      // --no-defaults: the machine's my.cnf (user=mysql, log paths, port 3306) must not leak in.
      const install = spawnSync(
        'mariadb-install-db',
        ['--no-defaults', `--datadir=${server.dataDir}`, '--auth-root-authentication-method=normal', '--user=root', '--skip-test-db', '--skip-name-resolve'],
        { encoding: 'utf8', timeout: 60_000 },
      );
      if (install.status !== 0) throw new Error(`mariadb-install-db failed (${install.status}): ${install.stdout}\n${install.stderr}`);
      await server.start();
      const admin = await mysql.createConnection({ uri: server.rootUrl.replace(/\/test$/, '/'), connectTimeout: 5000 });
      try {
        await admin.query('CREATE DATABASE IF NOT EXISTS test');
        await admin.query(`CREATE USER '${server.appUser}'@'%' IDENTIFIED BY ''`);
        await admin.query(`GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, INDEX, ALTER, LOCK TABLES ON test.* TO '${server.appUser}'@'%'`);
      } finally {
        await admin.end().catch(() => admin.destroy());
      }
      return server;
    } catch (err) {
      await server.remove();
      throw err;
    }
  }

  get dataDir(): string {
    return path.join(this.dir, 'data');
  }

  get socket(): string {
    return path.join(this.dir, 'mysqld.sock');
  }

  /** Root URL (SUPER: not stopped by read_only), database `test`. */
  get rootUrl(): string {
    return `mysql://root@127.0.0.1:${this.port}/test`;
  }

  /** The non-SUPER app user's URL, database `test`. */
  get appUrl(): string {
    return `mysql://${this.appUser}@127.0.0.1:${this.port}/test`;
  }

  /** What the server wrote to its error log and stderr (for failure messages). */
  get log(): string {
    return this.#log;
  }

  /** Whether `mariadbd` is running. */
  get running(): boolean {
    return this.#child !== undefined;
  }

  /** Starts `mariadbd` (same port, same data) and waits until root can run `SELECT 1`. */
  async start(): Promise<void> {
    if (this.#child) return;
    const child = spawn(
      'mariadbd',
      [
        '--no-defaults',
        '--user=root',
        `--datadir=${this.dataDir}`,
        `--port=${this.port}`,
        '--bind-address=127.0.0.1',
        `--socket=${this.socket}`,
        `--pid-file=${path.join(this.dir, 'mysqld.pid')}`,
        '--skip-name-resolve',
        '--skip-log-bin',
        '--innodb-buffer-pool-size=64M',
        '--innodb-log-file-size=32M',
        '--max-connections=200',
        ...this.args,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    child.stderr?.on('data', (chunk: Buffer) => {
      this.#log = (this.#log + chunk.toString()).slice(-20_000);
    });
    this.#child = child;
    this.#exited = new Promise((resolve) => child.once('exit', () => resolve()));
    child.once('exit', () => {
      if (this.#child === child) this.#child = undefined;
    });
    const up = await waitFor(() => this.#ping(), 60_000, 100);
    if (!up) throw new Error(`mariadbd on port ${this.port} did not answer; log:\n${this.#log}`);
  }

  /** Clean shutdown (SIGTERM), waiting for the process to exit. */
  async stop(): Promise<void> {
    const child = this.#child;
    if (!child) return;
    child.kill('SIGTERM');
    const exited = await Promise.race([this.#exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 60_000))]);
    if (!exited) await this.kill();
  }

  /** kill -9: no shutdown, InnoDB recovers at the next start. */
  async kill(): Promise<void> {
    const child = this.#child;
    if (!child) return;
    child.kill('SIGKILL');
    await this.#exited;
  }

  /** Stops (cleanly, or with `kill: true` by SIGKILL), waits `downMs`, starts again. */
  async restart(options: { kill?: boolean; downMs?: number } = {}): Promise<void> {
    await (options.kill ? this.kill() : this.stop());
    await new Promise((r) => setTimeout(r, options.downMs ?? 0));
    await this.start();
  }

  /** Runs one statement as root on a fresh connection. */
  async query<T = unknown>(sql: string, values?: mysql.QueryValues): Promise<T> {
    const connection = await this.connect();
    try {
      const [rows] = await connection.query(sql, values);
      return rows as T;
    } finally {
      await connection.end().catch(() => connection.destroy());
    }
  }

  /** A fresh mysql2 connection (root by default) the caller must end; e.g. to hold locks. */
  connect(user: 'root' | 'app' = 'root'): Promise<mysql.Connection> {
    return mysql.createConnection({
      uri: user === 'root' ? this.rootUrl : this.appUrl,
      connectTimeout: 5000,
      supportBigNumbers: true,
      bigNumberStrings: true,
    });
  }

  /** Stops the server (SIGKILL: its data is thrown away) and deletes the directory. Safe to call twice. */
  async remove(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
    alive.delete(this);
  }

  /** For the exit hook: SIGKILL and delete, synchronously. */
  killSync(): void {
    this.#child?.kill('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }

  async #ping(): Promise<boolean> {
    if (!this.#child) return false;
    try {
      const connection = await mysql.createConnection({ uri: this.rootUrl.replace(/\/test$/, '/'), connectTimeout: 1000 });
      try {
        await connection.query('SELECT 1');
        return true;
      } finally {
        connection.destroy();
      }
    } catch {
      return false;
    }
  }
}
