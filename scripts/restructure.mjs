#!/usr/bin/env node
// Re-runnable codemod for issue 20 ("A house people can carry on"): moves files with `git mv`
// and rewrites every relative import in the repository that points at a moved file.
//
//   node scripts/restructure.mjs [--phase a|b|all] [--dry-run]
//
// Phase a: the service's config out of the library (src/config -> consumers/config, keeping the
//          two files the sink definitions need in src/drivers), benchmark sinks to bench/sinks,
//          conformance adapters to test/conformance.
// Phase b: src/queue in sub-folders by role (producer/, consumer/, dead-letter/, admin/, shared
//          files at the root), each entered through a generated index.ts, plus renames.
//
// It is idempotent: a file already at its new place is left alone, and imports are rewritten
// from the map of old -> new paths whether or not this run moved the file, so it can run again
// on a tree where other branches were merged after an earlier run (their files still import the
// old paths). Placement of src/queue files the map does not name is computed from the import
// graph (see `placeQueueFile`).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';

const ROOT = process.cwd();
const args = process.argv.slice(2);
const DRY = args.includes('--dry-run');
const phaseArg = args.includes('--phase') ? args[args.indexOf('--phase') + 1] : 'all';
const PHASES = phaseArg === 'all' ? ['a', 'b'] : [phaseArg];
const SCAN_DIRS = ['src', 'consumers', 'producers', 'bench', 'test', 'scripts'];
const SRC_EXT = /\.(ts|mts|js|mjs)$/;

const exists = (p) => existsSync(join(ROOT, p));

function walk(dir, out = []) {
  if (!existsSync(join(ROOT, dir))) return out;
  for (const name of readdirSync(join(ROOT, dir))) {
    if (name === 'node_modules' || name === 'dist' || name === 'results') continue;
    const p = posix.join(dir, name);
    if (statSync(join(ROOT, p)).isDirectory()) walk(p, out);
    else if (SRC_EXT.test(name) && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

// ---------------------------------------------------------------- the map (old path -> new path)

/** Phase a: library apart from the service, the benchmark and the test harness. */
function phaseAMap() {
  const map = new Map();
  // The two files the sink definitions need stay in the library, beside the definitions.
  map.set('src/config/config-fields.ts', 'src/drivers/config-fields.ts');
  map.set('src/config/redact-secrets.ts', 'src/drivers/redact-secrets.ts');
  // Names that mislead (issue 20): two http-auth.ts files, one of them in producers/ guarding the admin pages too.
  map.set('src/config/http-auth.ts', 'consumers/config/http-auth-rules.ts');
  map.set('consumers/config/http-auth.ts', 'consumers/config/http-auth-rules.ts');
  map.set('producers/http-auth.ts', 'producers/request-auth.ts');
  for (const file of readdirSafe('src/config')) {
    const from = `src/config/${file}`;
    if (!map.has(from)) map.set(from, `consumers/config/${file}`);
  }
  // errors/ imports nothing of ours: the failure reasons belong to SinkError.
  map.set('src/core/failure-reason.ts', 'src/errors/failure-reason.ts');
  map.set('src/drivers/bench-sink.ts', 'bench/sinks/bench-sink.ts');
  map.set('src/drivers/sql/conformance-dialect.ts', 'test/conformance/conformance-dialect.ts');
  for (const db of subdirs('src/drivers')) {
    if (exists(`src/drivers/${db}/bench-sink.ts`)) map.set(`src/drivers/${db}/bench-sink.ts`, `bench/sinks/${db}-bench-sink.ts`);
    if (exists(`src/drivers/${db}/conformance.ts`)) map.set(`src/drivers/${db}/conformance.ts`, `test/conformance/${db}-conformance.ts`);
  }
  return map;
}

/**
 * Where src/queue files go. Seeds fix each role's defining files; every other file is placed by
 * the import graph (see `placeQueueFiles`), so a file another branch adds or starts sharing lands
 * where its importers need it.
 */
const QUEUE_SEEDS = {
  producer: ['producer', 'producer-options'],
  consumer: ['batch-consumer', 'batch-consumer-options', 'batch-consumer-events'],
  // dead-letter-* and replay-* files are seeds of dead-letter/ by their prefix.
  'dead-letter': [],
  // Read-only views of a schema's queues and DLQs for tools (CLI stats, Bull Board): it reads the
  // DLQ, so it cannot sit at the root (the root would then import dead-letter/ and back).
  admin: ['schema-queue-view'],
  // Shared by every role: connection, names, job format, the DLQ entry format.
  '.': ['connection', 'queue-names', 'open-queue', 'job-data', 'job-options', 'key-slot', 'dead-letter-entry', 'index'],
};

/** Which role folders a role may import (the root is open to all; nothing imports upwards). */
const ROLE_MAY_IMPORT = { producer: [], consumer: ['dead-letter'], 'dead-letter': [], admin: ['dead-letter'], '.': [] };

/** Names that mislead (issue 20), renamed while they move. */
const QUEUE_RENAMES = { 'health-board': 'consumer-health' };

function seedRole(base) {
  for (const [role, files] of Object.entries(QUEUE_SEEDS)) if (files.includes(base)) return role;
  if (base.startsWith('dead-letter-') || base.startsWith('replay-')) return 'dead-letter';
  return undefined;
}

/**
 * Places every file at the root of src/queue: seeds by name; then, repeatedly, a file imported
 * (inside src/queue, index files aside) only by files of one role joins that role, and a file
 * imported by several roles, by the root, or only from outside the queue stays shared. Last, a
 * role file that another role may not import (or that a shared file imports) moves to the root,
 * so no folder imports a folder that imports it back.
 */
function placeQueueFiles(bases, graph) {
  const role = new Map();
  for (const base of bases) {
    const seed = seedRole(base);
    if (seed) role.set(base, seed);
  }
  const importersOf = (base) =>
    [...(graph.get(`src/queue/${base}.ts`) ?? [])]
      .map((f) => /^src\/queue\/([^/]+)\.ts$/.exec(f)?.[1])
      .filter((b) => b !== undefined && b !== 'index' && b !== base);
  for (let changed = true; changed; ) {
    changed = false;
    for (const base of bases) {
      if (role.has(base)) continue;
      const importers = importersOf(base);
      if (importers.some((b) => !role.has(b))) continue; // decide once the importers are placed
      const roles = new Set(importers.map((b) => role.get(b)));
      role.set(base, roles.size === 1 ? [...roles][0] : '.');
      changed = true;
    }
  }
  for (const base of bases) if (!role.has(base)) role.set(base, '.'); // import cycles: shared
  const importsOf = (base) => bases.filter((b) => (graph.get(`src/queue/${b}.ts`) ?? new Set()).has(`src/queue/${base}.ts`));
  for (let changed = true; changed; ) {
    changed = false;
    for (const base of bases) {
      if (base === 'index') continue; // an index only re-exports: it is regenerated
      const from = role.get(base);
      for (const target of importsOf(base)) {
        const to = role.get(target);
        if (to === '.' || to === from || ROLE_MAY_IMPORT[from]?.includes(to) || seedRole(target) === to) continue;
        role.set(target, '.');
        changed = true;
      }
    }
  }
  return role;
}

function phaseBMap(graph) {
  const map = new Map();
  const bases = readdirSafe('src/queue').filter((f) => f.endsWith('.ts')).map((f) => f.slice(0, -3));
  const roles = placeQueueFiles(bases, graph);
  for (const base of bases) {
    const role = roles.get(base);
    if (role === '.') continue;
    map.set(`src/queue/${base}.ts`, `src/queue/${role}/${QUEUE_RENAMES[base] ?? base}.ts`);
  }
  return map;
}

function subdirs(dir) {
  return existsSync(join(ROOT, dir)) ? readdirSync(join(ROOT, dir)).filter((n) => statSync(join(ROOT, dir, n)).isDirectory()) : [];
}

function readdirSafe(dir) {
  return existsSync(join(ROOT, dir)) ? readdirSync(join(ROOT, dir)).filter((n) => !statSync(join(ROOT, dir, n)).isDirectory()) : [];
}

// ---------------------------------------------------------------- import graph and rewriting

const SPEC = /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\bvi\.mock\(\s*|\bvi\.importActual\(\s*|\bexport\s+\*\s+from\s*)(['"])(\.{1,2}\/[^'"]+)\2/g;
// A specifier held in a constant for a lazy import, e.g. `const BENCH_MODULE = '../../bench/run-bench.js'`.
const CONST_SPEC = /(\bconst\s+[A-Z_]+_MODULE\s*=\s*)(['"])(\.{1,2}\/[^'"]+)\2/g;

function resolveSpec(fromFile, spec) {
  const target = posix.normalize(posix.join(posix.dirname(fromFile), spec));
  if (target.endsWith('.js')) {
    const ts = target.slice(0, -3) + '.ts';
    return ts;
  }
  return target;
}

function specFor(fromFile, targetTs, originalSpec) {
  let r = posix.relative(posix.dirname(fromFile), targetTs);
  if (!r.startsWith('.')) r = `./${r}`;
  return originalSpec.endsWith('.js') && r.endsWith('.ts') ? r.slice(0, -3) + '.js' : r;
}

function importGraph(files) {
  const graph = new Map();
  for (const file of files) {
    const text = readFileSync(join(ROOT, file), 'utf8');
    for (const re of [SPEC, CONST_SPEC]) {
      re.lastIndex = 0;
      for (const m of text.matchAll(re)) {
        const target = resolveSpec(file, m[3]);
        if (!graph.has(target)) graph.set(target, new Set());
        graph.get(target).add(file);
      }
    }
  }
  return graph;
}

/** For a target in a queue sub-folder imported from outside that folder: the folder's index. */
function throughIndex(importerNew, targetNew) {
  const m = /^src\/queue\/(producer|consumer|dead-letter|admin)\/[^/]+\.ts$/.exec(targetNew);
  if (!m) return targetNew;
  const folder = `src/queue/${m[1]}/`;
  if (importerNew.startsWith(folder)) return targetNew;
  // Tests may reach one file directly (unit tests of internals); the library and the service go through the index.
  if (importerNew.startsWith('test/')) return targetNew;
  return `${folder}index.ts`;
}

function rewrite(files, map, movedThisRun) {
  let changed = 0;
  for (const current of files) {
    const oldPath = movedThisRun.get(current) ?? current; // imports were written relative to this
    const text = readFileSync(join(ROOT, current), 'utf8');
    const replace = (whole, head, quote, spec) => {
      const target = resolveSpec(oldPath, spec);
      const mapped = map.get(target) ?? target;
      if (mapped === target && oldPath === current) return whole;
      const routed = throughIndex(current, mapped);
      return `${head}${quote}${specFor(current, routed, spec)}${quote}`;
    };
    const next = text.replace(SPEC, replace).replace(CONST_SPEC, replace);
    if (next !== text) {
      changed++;
      if (!DRY) writeFileSync(join(ROOT, current), next);
    }
  }
  return changed;
}

// ---------------------------------------------------------------- generated index files

function writeQueueIndexes() {
  const roles = ['producer', 'consumer', 'dead-letter', 'admin'].filter((r) => exists(`src/queue/${r}`));
  for (const role of roles) {
    const files = readdirSafe(`src/queue/${role}`).filter((f) => f.endsWith('.ts') && f !== 'index.ts').sort();
    const body = `// Generated by scripts/restructure.mjs: the ${role} role of the queue layer, entered through this file.\n${files
      .map((f) => `export * from './${f.slice(0, -3)}.js';`)
      .join('\n')}\n`;
    if (!DRY) writeFileSync(join(ROOT, `src/queue/${role}/index.ts`), body);
  }
  // The queue's own index: the shared files, then each role.
  const shared = readdirSafe('src/queue').filter((f) => f.endsWith('.ts') && f !== 'index.ts').sort();
  const body = `// Generated by scripts/restructure.mjs: shared queue files, then each role's index.\n${[
    ...shared.map((f) => `export * from './${f.slice(0, -3)}.js';`),
    ...roles.map((r) => `export * from './${r}/index.js';`),
  ].join('\n')}\n`;
  if (!DRY) writeFileSync(join(ROOT, 'src/queue/index.ts'), body);
}

// ---------------------------------------------------------------- run

function gitMv(from, to) {
  if (DRY) return;
  mkdirSync(dirname(join(ROOT, to)), { recursive: true });
  execFileSync('git', ['mv', from, to], { cwd: ROOT, stdio: 'inherit' });
}

const files = SCAN_DIRS.flatMap((d) => walk(d));
const map = new Map();
if (PHASES.includes('a')) for (const [k, v] of phaseAMap()) map.set(k, v);
if (PHASES.includes('b')) for (const [k, v] of phaseBMap(importGraph(files))) map.set(k, v);
// Old paths already moved by an earlier run are still mapped, so merged files that import them get rewritten.
for (const [k, v] of Object.entries(JSON.parse(readFileSafe('scripts/restructure-map.json') || '{}'))) if (!map.has(k)) map.set(k, v);

const movedThisRun = new Map(); // new -> old
for (const [from, to] of map) {
  if (exists(from) && !exists(to)) {
    console.log(`git mv ${from} ${to}`);
    gitMv(from, to);
    movedThisRun.set(to, from);
  }
}
const after = DRY ? files : SCAN_DIRS.flatMap((d) => walk(d));
const changed = rewrite(after, map, movedThisRun);
if (PHASES.includes('b')) writeQueueIndexes();
if (!DRY) {
  const all = Object.fromEntries([...map].sort());
  writeFileSync(join(ROOT, 'scripts/restructure-map.json'), `${JSON.stringify(all, null, 2)}\n`);
}
console.log(`${movedThisRun.size} file(s) moved, imports rewritten in ${changed} file(s)${DRY ? ' (dry run)' : ''}`);

function readFileSafe(p) {
  return existsSync(join(ROOT, p)) ? readFileSync(join(ROOT, p), 'utf8') : '';
}
