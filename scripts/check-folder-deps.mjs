#!/usr/bin/env node
// Folder-level dependency check (issue 20): no folder imports a folder that imports it back.
// dependency-cruiser's rules (.dependency-cruiser.cjs) judge single imports; this collapses its
// module graph to folders and fails on any cycle between them.
//
// A folder is src/<name> (src/drivers as a whole, with its driver sub-folders), each role folder
// of src/queue, and consumers/, producers/, bench/, test/ as wholes. An index.ts only re-exports:
// it is its folder's entrance, so its own imports do not count as the folder's.
import { execFileSync } from 'node:child_process';

const json = execFileSync('npx', ['depcruise', 'src', 'consumers', 'producers', 'bench', 'test', '--config', '.dependency-cruiser.cjs', '--output-type', 'json'], {
  encoding: 'utf8',
  maxBuffer: 256 * 1024 * 1024,
});
const { modules } = JSON.parse(json);

/** The folder a file belongs to, or undefined outside the repository's code. */
function folderOf(path) {
  let m = /^src\/queue\/([^/]+)\/[^/]+$/.exec(path);
  if (m) return `src/queue/${m[1]}`;
  m = /^src\/([^/]+)\/.+$/.exec(path);
  if (m) return `src/${m[1]}`;
  if (/^src\/[^/]+$/.test(path)) return 'src';
  m = /^(consumers|producers|bench|test)\//.exec(path);
  return m ? m[1] : undefined;
}

const edges = new Map(); // folder -> Map(folder -> example "a -> b")
for (const mod of modules) {
  if (/(^|\/)index\.ts$/.test(mod.source)) continue;
  const from = folderOf(mod.source);
  if (!from) continue;
  for (const dep of mod.dependencies) {
    const to = folderOf(dep.resolved);
    if (!to || to === from) continue;
    if (!edges.has(from)) edges.set(from, new Map());
    if (!edges.get(from).has(to)) edges.get(from).set(to, `${mod.source} -> ${dep.resolved}`);
  }
}

// Tarjan's strongly connected components: any component of more than one folder is a cycle.
let index = 0;
const stack = [];
const state = new Map();
const cycles = [];
function connect(v) {
  state.set(v, { index, low: index, onStack: true });
  index++;
  stack.push(v);
  for (const w of edges.get(v)?.keys() ?? []) {
    if (!state.has(w)) {
      connect(w);
      state.get(v).low = Math.min(state.get(v).low, state.get(w).low);
    } else if (state.get(w).onStack) state.get(v).low = Math.min(state.get(v).low, state.get(w).index);
  }
  if (state.get(v).low === state.get(v).index) {
    const component = [];
    let w;
    do {
      w = stack.pop();
      state.get(w).onStack = false;
      component.push(w);
    } while (w !== v);
    if (component.length > 1) cycles.push(component);
  }
}
for (const v of edges.keys()) if (!state.has(v)) connect(v);

if (cycles.length === 0) {
  console.log(`✔ no folder imports a folder that imports it back (${edges.size} folders)`);
} else {
  for (const component of cycles) {
    console.error(`✘ folders import each other: ${component.join(' <-> ')}`);
    for (const a of component) for (const [b, example] of edges.get(a) ?? []) if (component.includes(b)) console.error(`    ${example}`);
  }
  process.exitCode = 1;
}
