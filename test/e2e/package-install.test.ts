import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnNode } from '../helpers/child-process.js';
import { assertCliBuilt, freePort, runCommand, type CliRun } from '../helpers/cli.js';
import { PG_URL, pgQuery, uniqueTable } from '../helpers/pg.js';
import { deletePrefix, REDIS_URL, uniquePrefix } from '../helpers/redis.js';

// As a new user meets the package: `npm pack`, then
// - install the tarball into an empty app with the *oldest* peers we support and use it
//   producer-only, with no database client installed;
// - in a second empty app, run the README's Install commands verbatim (the registry's *latest*
//   bullmq, ioredis and pg, as `npm install` picks them), then compile the README's "Use it from
//   Node" code as strict TypeScript against the shipped types and run it on Redis and PostgreSQL.
const REPO = fileURLToPath(new URL('../..', import.meta.url));
const TSC = join(REPO, 'node_modules', '.bin', 'tsc');
const work = mkdtempSync(join(tmpdir(), 'bf-pack-'));
const app = join(work, 'app');
/** The second app, made only by the README's Install commands. */
const readmeApp = join(work, 'readme-app');
/** The oldest peer versions the package claims to support (package.json `peerDependencies`). */
const OLDEST_PEERS = ['bullmq@6.7.0', 'ioredis@5.8.2'];
const prefix = uniquePrefix('pack');
const table = uniqueTable('readme_users');
const CLIENTS = ['pg', 'mysql2', 'better-sqlite3'] as const;

/** Runs a program in the app with npm's update notifier off. */
function run(command: string, args: readonly string[], cwd: string, timeoutMs: number, env: Record<string, string> = {}): Promise<CliRun> {
  return runCommand(command, args, { cwd, timeoutMs, env: { npm_config_update_notifier: 'false', ...env } });
}

async function ok(command: string, args: readonly string[], cwd: string, timeoutMs: number, env?: Record<string, string>): Promise<string> {
  const result = await run(command, args, cwd, timeoutMs, env);
  if (result.code !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.code}:\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

const npmInstall = (...args: string[]) => ok('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', ...args], app, 150_000);

/** The commands of the README's first ```sh block under "## Install", comments stripped. */
function readmeInstallCommands(): string[] {
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Install'));
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1];
  if (!block) throw new Error('README has no sh block under "Install"');
  return block.split('\n').map((line) => line.replace(/#.*$/, '').trim()).filter((line) => line !== '');
}

/** The version a bare `npm install <name>` takes today: the registry's `latest` tag. */
async function latestVersion(name: string): Promise<string> {
  return (await ok('npm', ['view', name, 'version'], work, 60_000)).trim();
}

/** The version of a package installed at the top of an app's node_modules. */
function installedVersion(dir: string, name: string): string {
  return (JSON.parse(readFileSync(join(dir, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
}

/** Every installed copy of a package in the app (any depth). */
function copiesOf(name: string, dir = join(app, 'node_modules')): string[] {
  if (!existsSync(dir)) return [];
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const path = join(dir, entry.name);
    if (entry.name === name && existsSync(join(path, 'package.json'))) found.push(path);
    if (entry.name.startsWith('@')) found.push(...copiesOf(name, path));
    else if (existsSync(join(path, 'node_modules'))) found.push(...copiesOf(name, join(path, 'node_modules')));
  }
  return found;
}

/** The README's first ```ts block under "## Use it from Node", made unique to this test, plus a closing epilogue. */
function readmeProgram(): string {
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Use it from Node'));
  const block = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  if (!block) throw new Error('README has no ts block under "Use it from Node"');
  expect(block).toContain("from 'bullmq-batchflow'");
  expect(block).toContain("SQLSchema('users',");
  const code = block.replace("SQLSchema('users',", `SQLSchema('${table}',`).replaceAll("'redis://127.0.0.1:6379'", `'${REDIS_URL}'`);
  // The queue prefix is the default; the schema (queue) name is unique to this run. Once all four
  // rows committed, close as a SIGTERM would, and exit.
  return `${code}
// --- test epilogue, not in the README ---
let committed = 0;
consumer.on('batch:committed', ({ size }) => {
  committed += size;
  if (committed < 4) return;
  void Promise.all([producer.close(), consumer.close()]).then(() => {
    console.log(\`committed \${committed}\`);
    process.exit(0);
  });
});
setTimeout(() => {
  console.error(\`timed out with \${committed} committed\`);
  process.exit(1);
}, 30_000).unref();
`;
}

/** Writes the README program into an app and compiles it as strict TypeScript; returns tsc's output. */
async function compileReadme(dir: string, skipLibCheck: boolean): Promise<CliRun> {
  writeFileSync(join(dir, 'main.ts'), readmeProgram());
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
    compilerOptions: {
      target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noUncheckedIndexedAccess: true, exactOptionalPropertyTypes: false,
      skipLibCheck, types: ['node'], typeRoots: [join(REPO, 'node_modules', '@types')], outDir: 'out', lib: ['ES2023'],
    },
    files: ['main.ts'],
  }));
  return run(TSC, ['-p', 'tsconfig.json'], dir, 90_000);
}

let tarball = '';
beforeAll(async () => {
  assertCliBuilt();
  // --ignore-scripts: `prepare` would build again; the suite runs against the dist/ already built.
  const packed = JSON.parse(await ok('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], REPO, 60_000)) as Array<{ filename: string; name: string }>;
  expect(packed[0]?.name).toBe('bullmq-batchflow');
  tarball = join(work, packed[0]?.filename ?? '');
  rmSync(app, { recursive: true, force: true });
  writeFileSync(join(work, 'package.json'), '{}'); // keep npm from walking up into the repository
  await ok('mkdir', ['-p', app], work, 5_000);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'bf-pack-app', private: true, type: 'module' }));
}, 90_000);

afterAll(async () => {
  await deletePrefix(prefix);
  await deletePrefix(`batchflow:{${table}}`); // the README code runs with the default prefix; queue keys carry the schema as a hash tag
  await pgQuery(`DROP TABLE IF EXISTS ${table}`);
  rmSync(work, { recursive: true, force: true });
});

describe('the packed package, installed into an empty app', () => {
  it('a producer-only app installs it with the oldest supported peers and imports it with no database client, and shares the one bullmq', { timeout: 180_000 }, async () => {
    await npmInstall('--omit=optional', tarball, ...OLDEST_PEERS);
    expect(installedVersion(app, 'ioredis')).toBe('5.8.2');
    expect(installedVersion(app, 'bullmq')).toBe('6.7.0');
    for (const client of CLIENTS) expect(copiesOf(client), `${client} must not be installed`).toEqual([]);
    expect(copiesOf('bullmq')).toHaveLength(1);
    const ls = await ok('npm', ['ls', 'bullmq', '--all'], app, 30_000);
    expect(ls).toContain('bullmq-batchflow@0.1.0');
    expect(ls.match(/bullmq@6\.\d+\.\d+/g)?.length).toBeGreaterThanOrEqual(1);
    expect(ls).not.toMatch(/invalid|UNMET/);
    expect(ls.split('\n').filter((l) => /bullmq@6/.test(l) && !l.includes('deduped'))).toHaveLength(1);

    // The README's Node code compiles against our shipped types with every library check on
    // (`skipLibCheck: false`), with no database client installed: our declarations import none.
    const compiled = await compileReadme(app, false);
    expect(compiled.stdout + compiled.stderr, 'tsc output').toBe('');
    expect(compiled.code).toBe(0);

    const script = `
      const m = await import('bullmq-batchflow');
      const events = m.Schema('pack_events', { id: 'int64', kind: 'string' });
      const producer = new m.Producer({ connection: '${REDIS_URL}', prefix: '${prefix}', schemas: [events] });
      await producer.submit(events, { id: 1n, kind: 'click' });
      await producer.close();
      const redis = await import('bullmq-batchflow/redis');
      console.log('producer ok', typeof redis.RedisDriver);
      // A driver loads its client on first use: construct fine, fail on use, naming the package.
      for (const [Driver, options] of [[m.PostgresDriver, { connectionString: '${PG_URL}' }], [m.MySqlDriver, { connectionString: 'mysql://root@127.0.0.1:3306/test' }], [m.SqliteDriver, { filename: ':memory:' }]]) {
        const err = await new Driver(options).ping().then(() => undefined, (e) => e);
        console.log('missing', err?.cause?.code ?? err?.code, err?.message);
      }
      const plugin = await import('bullmq-batchflow/plugin'); // what a sink author (or a service of their own) opens a configured sink with
      const err = await plugin.openSink({ name: 'main' }, { type: 'postgres', url: '${PG_URL}' }).then(() => undefined, (e) => e);
      console.log('sink', err?.code, err?.message);
    `;
    const out = await ok(process.execPath, ['--input-type=module', '-e', script], app, 30_000);
    expect(out).toContain('producer ok function');
    expect(out).toContain('missing ERR_MISSING_CLIENT postgres: PostgresDriver needs the npm package "pg", which is not installed: run `npm install pg`');
    expect(out).toContain('missing ERR_MISSING_CLIENT mysql: MySqlDriver needs the npm package "mysql2", which is not installed: run `npm install mysql2`');
    expect(out).toMatch(/missing ERR_MISSING_CLIENT .*SqliteDriver needs the npm package "better-sqlite3"/);
    expect(out).toContain('sink ERR_MISSING_CLIENT the postgres sink needs the npm package "pg", which is not installed: run `npm install pg`');

    // The demo worker (SQLite) without better-sqlite3 stops at start with the package to install.
    const demo = await run(join(app, 'node_modules', '.bin', 'batchflow'), ['worker'], app, 30_000, { REDIS_URL, BATCHFLOW_PREFIX: prefix, BATCHFLOW_HTTP_PORT: '0' });
    expect(demo.code).toBe(1);
    expect(demo.stderr).toContain('error: the sqlite sink needs the npm package "better-sqlite3", which is not installed: run `npm install better-sqlite3`');
  });

  it("runs the README's Install commands verbatim in an empty app (latest peers), compiles the README's Node code as strict TypeScript and runs it on Redis and PostgreSQL; npx batchflow worker runs the demo", { timeout: 420_000 }, async () => {
    const app = readmeApp;
    mkdirSync(app, { recursive: true });
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'bf-readme-app', private: true, type: 'module' }));
    const commands = readmeInstallCommands();
    expect(commands[0]).toMatch(/^npm install bullmq-batchflow /);
    // Each command as the README prints it; only the package name points at the packed tarball,
    // since this version is not on the registry yet. better-sqlite3 (the optional dependency) has
    // no prebuilt addon here and would compile for minutes, so install scripts are off and the
    // repo's built addon is copied in below; dependency resolution, the thing that can fail, is npm's own.
    for (const command of commands) {
      const result = await run('sh', ['-c', command.replace(/(^npm install )bullmq-batchflow\b/, `$1${tarball}`)], app, 240_000, { npm_config_ignore_scripts: 'true', npm_config_audit: 'false', npm_config_fund: 'false' });
      if (result.code !== 0) throw new Error(`README install step failed: ${command}\n${result.stdout}\n${result.stderr}`);
      expect(result.stderr, command).not.toMatch(/ERESOLVE|overriding peer dependency/);
    }
    for (const peer of ['bullmq', 'ioredis', 'pg', 'mysql2']) expect(installedVersion(app, peer), `${peer} is the registry's latest`).toBe(await latestVersion(peer));
    const ls = await run('npm', ['ls', '--all'], app, 60_000);
    // Optional peers nobody asked for (bullmq-otel, other platforms' addons) show as UNMET OPTIONAL: fine.
    expect(ls.stdout + ls.stderr).not.toMatch(/invalid|UNMET DEPENDENCY|ELSPROBLEMS/);
    expect(ls.code).toBe(0);

    const sqliteVersion = installedVersion(app, 'better-sqlite3');
    expect(sqliteVersion, 'the addon copied in below is built for the repo\'s better-sqlite3').toBe(installedVersion(REPO, 'better-sqlite3'));
    const release = join(app, 'node_modules', 'better-sqlite3', 'build', 'Release');
    mkdirSync(release, { recursive: true });
    cpSync(join(REPO, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node'), join(release, 'better_sqlite3.node'));
    // ioredis 6.1's own declarations import the untyped 'redis-errors', so with `skipLibCheck: false`
    // tsc reports errors inside node_modules/ioredis whatever the app does. Ours must add none:
    // the strict library check of our types runs in the oldest-peers app above (ioredis 5).
    const strict = await compileReadme(app, false);
    const foreign = (strict.stdout + strict.stderr).split('\n').filter((line) => /error TS/.test(line) && !line.startsWith('node_modules/ioredis/'));
    expect(foreign, 'tsc errors outside ioredis').toEqual([]);
    // As `tsc --init` sets it up (skipLibCheck: true): no output at all.
    const compiled = await compileReadme(app, true);
    expect(compiled.stdout + compiled.stderr, 'tsc output').toBe('');
    expect(compiled.code).toBe(0);

    await pgQuery(`CREATE TABLE ${table} (id bigint PRIMARY KEY, name text NOT NULL, nickname text, created_at timestamptz NOT NULL)`);
    const main = await run(process.execPath, [join(app, 'out', 'main.js')], app, 45_000, { PG_URL });
    expect(main.stdout + main.stderr).toContain('committed 4');
    expect(main.code).toBe(0);
    const rows = await pgQuery<{ id: string; name: string; nickname: string | null }>(`SELECT id::text, name, nickname FROM ${table} ORDER BY id`);
    expect(rows).toEqual([
      { id: '1', name: 'Ada', nickname: null },
      { id: '2', name: 'Bob', nickname: null },
      { id: '3', name: 'Cy', nickname: null },
      { id: '4', name: 'Di', nickname: 'D' },
    ]);

    // `npx batchflow worker` from the app: the SQLite demo starts, creates ./data, stops on SIGTERM.
    const port = await freePort();
    const worker = spawnNode([join(app, 'node_modules', '.bin', 'batchflow'), 'worker'], { REDIS_URL, BATCHFLOW_PREFIX: prefix, BATCHFLOW_HTTP_PORT: String(port) }, app);
    try {
      await worker.waitForLine(/"event":"ready"/, 30_000);
      expect(existsSync(join(app, 'data', 'batchflow.sqlite'))).toBe(true);
    } finally {
      worker.child.kill('SIGTERM');
    }
    expect(await worker.exited).toBe(0);
  });
});
