import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from './cli.js';

const run = promisify(execFile);

/** How `pg_ctl stop` shuts the server down (`fast`: roll back sessions; `immediate`: like a crash). */
export type PgStopMode = 'smart' | 'fast' | 'immediate';

/** Options of {@link PrivatePostgres.create}. */
export interface PrivatePostgresOptions {
  /** Extra `postgresql.conf` settings, e.g. `{ max_connections: 50 }`. */
  settings?: Readonly<Record<string, string | number>>;
}

/** The directory of the newest installed PostgreSQL's binaries (`/usr/lib/postgresql/<n>/bin`), or PATH. */
export function postgresBinDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(path.join(root, v, 'bin', 'initdb'))) : [];
  versions.sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? '' : path.join(root, versions[0], 'bin');
}

/** Servers not cleaned up yet; the exit hook stops them if a test run ends early. */
const live = new Set<PrivatePostgres>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Synchronous on purpose: 'exit' handlers cannot await. Immediate stop: there is nothing to keep.
  process.once('exit', () => {
    for (const server of live) server.cleanupSync();
  });
}

/**
 * A private PostgreSQL server for destructive faults (restart, read-only, disk full …), so the
 * shared server at 5432 that every other test uses is never disturbed. `initdb` into a fresh temp
 * directory, trust auth for user `postgres`, TCP on a free 127.0.0.1 port and a Unix socket in the
 * same directory.
 *
 * PostgreSQL refuses to run as root: as root, every server command runs as the `postgres` OS
 * user (`runuser`), in a directory it owns.
 *
 * Always call {@link PrivatePostgres.cleanup} (in `afterAll`); a process exit hook also stops every
 * server not cleaned up, and unmounts its tmpfs mounts.
 *
 * @example
 * ```ts
 * const server = await PrivatePostgres.create();
 * await server.start();
 * afterAll(() => server.cleanup());
 * await server.restart('fast');
 * ```
 */
export class PrivatePostgres {
  readonly #bin: string;
  readonly #owner: { uid: number; gid: number } | undefined;
  readonly #mounts: string[] = [];
  #cleanedUp = false;

  private constructor(
    /** Temp directory holding everything: `data/`, the log, the Unix socket, tmpfs mounts. */
    readonly dir: string,
    readonly port: number,
    bin: string,
    owner: { uid: number; gid: number } | undefined,
  ) {
    this.#bin = bin;
    this.#owner = owner;
  }

  /** Runs `initdb` into a fresh temp dir and writes the config; does not start the server. */
  static async create(options: PrivatePostgresOptions = {}): Promise<PrivatePostgres> {
    const bin = postgresBinDir();
    const asRoot = process.getuid?.() === 0;
    const owner = asRoot
      ? { uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim()), gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim()) }
      : undefined;
    // Short path: a Unix socket path is limited to ~107 bytes.
    const dir = mkdtempSync('/tmp/bf-pg-');
    if (owner) chownSync(dir, owner.uid, owner.gid);
    const server = new PrivatePostgres(dir, await freePort(), bin, owner);
    live.add(server);
    installExitHook();
    await server.#as('initdb', ['-D', server.dataDir, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
    const settings: Record<string, string | number> = {
      port: server.port,
      listen_addresses: "'127.0.0.1'",
      unix_socket_directories: `'${dir}'`,
      // Durable across a server crash (stop -m immediate), not across an OS crash: WAL reaches the
      // kernel at every commit but is never fsynced. synchronous_commit stays on, or an immediate
      // stop would lose commits already acknowledged to the client (seen: 6 rows "lost").
      fsync: 'off',
      full_page_writes: 'off',
      max_connections: 100,
      shared_buffers: "'32MB'",
      log_min_messages: 'warning',
      ...options.settings,
    };
    const conf = Object.entries(settings).map(([k, v]) => `${k} = ${v}`).join('\n');
    await server.#as('sh', ['-c', `printf '%s\\n' "$1" >> "$2"`, 'sh', conf, path.join(server.dataDir, 'postgresql.conf')]);
    return server;
  }

  get dataDir(): string {
    return path.join(this.dir, 'data');
  }

  get logFile(): string {
    return path.join(this.dir, 'server.log');
  }

  /** TCP connection string (database `postgres`, user `postgres`, trust auth). */
  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  /**
   * Unix-socket connection string for node-postgres: `host` is the socket directory, so the
   * client connects to `<dir>/.s.PGSQL.<port>`. While the server is down that file is gone
   * (ENOENT), or left behind by a crash (ECONNREFUSED).
   */
  get socketUrl(): string {
    return `postgres://postgres@/postgres?host=${encodeURIComponent(this.dir)}&port=${this.port}`;
  }

  /** Starts the server and waits until it accepts connections. */
  async start(): Promise<void> {
    await this.#pgCtl(['start', '-w', '-t', '60', '-l', this.logFile]);
  }

  /** Stops the server (`fast` by default) and waits until it is gone. A stopped server is left alone. */
  async stop(mode: PgStopMode = 'fast'): Promise<void> {
    if (!(await this.running())) return;
    await this.#pgCtl(['stop', '-w', '-t', '60', '-m', mode]);
  }

  /** `pg_ctl restart -m <mode>`: stop, then start again, and wait until it accepts connections. */
  async restart(mode: PgStopMode = 'fast'): Promise<void> {
    await this.#pgCtl(['restart', '-w', '-t', '60', '-m', mode, '-l', this.logFile]);
  }

  /** Re-reads the configuration (SIGHUP), as `pg_ctl reload` does. */
  async reload(): Promise<void> {
    await this.#pgCtl(['reload']);
  }

  /** Whether a postmaster is running on the data directory. */
  async running(): Promise<boolean> {
    try {
      await this.#pgCtl(['status']);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Runs statements one after another on one short-lived TCP client (so `SET` applies to the ones
   * after it, and `ALTER SYSTEM` runs outside a transaction block); returns the last one's rows.
   */
  async query<T = Record<string, unknown>>(sql: string | readonly string[], values: unknown[] = []): Promise<T[]> {
    const client = new pg.Client({ connectionString: this.url });
    client.on('error', () => undefined);
    await client.connect();
    try {
      const statements = typeof sql === 'string' ? [sql] : sql;
      let rows: T[] = [];
      for (const [i, statement] of statements.entries()) rows = (await client.query(statement, i === statements.length - 1 ? values : [])).rows as T[];
      return rows;
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  /** A connected client of its own (for holding a lock or a transaction open); the caller ends it. */
  async client(): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: this.url });
    client.on('error', () => undefined);
    await client.connect();
    return client;
  }

  /**
   * Mounts a tmpfs of `sizeMb` at `<dir>/<name>`, owned by the server's OS user, for a tablespace
   * that can fill up (disk full, SQLSTATE 53100). Needs root (mount); unmounted by cleanup.
   */
  async mountTmpfs(name: string, sizeMb: number): Promise<string> {
    const target = path.join(this.dir, name);
    mkdirSync(target);
    await run('mount', ['-t', 'tmpfs', '-o', `size=${sizeMb}m,mode=0700`, 'tmpfs', target]);
    this.#mounts.push(target);
    if (this.#owner) chownSync(target, this.#owner.uid, this.#owner.gid);
    return target;
  }

  /** The server log (for a failing test's message). */
  log(): string {
    return existsSync(this.logFile) ? readFileSync(this.logFile, 'utf8') : '';
  }

  /** Stops the server (immediate: nothing in it is worth a checkpoint), unmounts, deletes the directory. */
  async cleanup(): Promise<void> {
    if (this.#cleanedUp) return;
    await this.stop('immediate').catch(() => undefined);
    this.cleanupSync();
  }

  /** Synchronous cleanup, for the process exit hook. Safe to call more than once. */
  cleanupSync(): void {
    if (this.#cleanedUp) return;
    this.#cleanedUp = true;
    live.delete(this);
    const [cmd, args] = this.#command('pg_ctl', ['-D', this.dataDir, 'stop', '-w', '-t', '30', '-m', 'immediate']);
    if (existsSync(path.join(this.dataDir, 'postmaster.pid'))) spawnSync(cmd, args, { stdio: 'ignore' });
    for (const mount of this.#mounts.splice(0).reverse()) spawnSync('umount', ['-l', mount], { stdio: 'ignore' });
    rmSync(this.dir, { recursive: true, force: true });
  }

  async #pgCtl(args: readonly string[]): Promise<void> {
    await this.#as('pg_ctl', ['-D', this.dataDir, ...args]);
  }

  /** Runs a server binary as the server's OS user; rejects with its output on failure. */
  async #as(binary: string, args: readonly string[]): Promise<string> {
    const [cmd, argv] = this.#command(binary, args);
    try {
      const { stdout } = await run(cmd, argv, { cwd: this.dir, maxBuffer: 16 * 1024 * 1024 });
      return stdout;
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string; message: string };
      throw new Error(`${binary} ${args.join(' ')} failed: ${e.stderr || e.stdout || e.message}`);
    }
  }

  #command(binary: string, args: readonly string[]): [string, string[]] {
    const file = binary === 'sh' || this.#bin === '' ? binary : path.join(this.#bin, binary);
    return this.#owner ? ['runuser', ['-u', 'postgres', '--', file, ...args]] : [file, [...args]];
  }
}
