#!/usr/bin/env node
// Generated references (issue 20): the configuration, metrics and errors references, and the
// benchmark summary, are written from the code between comment markers, graphile-worker style:
//
//   <!-- generated:<name>:start --> … <!-- generated:<name>:end -->
//
//   node scripts/gen-docs.mjs           check: exit 1 when a generated block is stale (run in npm test)
//   node scripts/gen-docs.mjs --write   rewrite the blocks (npm run docs, which builds first)
//
// Sources: the config file's zod schema (consumers/config/config-schema.ts) with CONFIG_DEFAULTS'
// TSDoc and CONFIG_FIELD_DOCS, BATCH_CONSUMER_TUNING / BATCH_CONSUMER_DEFAULTS with the TSDoc of
// BatchConsumerOptions, every registered sink's config shape, the Prometheus reporter's registry,
// the error classes in src/errors and their `code`, FailureReason / ValidationKind /
// DEAD_LETTER_CLASSES, and bench/results/latest.json. Reads dist/: run after `npm run build`.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';

const ROOT = process.cwd();
const WRITE = process.argv.includes('--write');

/** Finds a file by name under a folder (files move between folders; names are stable). */
function find(dir, name) {
  for (const entry of readdirSync(join(ROOT, dir))) {
    const p = join(dir, entry);
    if (statSync(join(ROOT, p)).isDirectory()) {
      const hit = find(p, name);
      if (hit) return hit;
    } else if (entry === name) return p;
  }
  return undefined;
}
const source = (name, dir = 'src') => find(dir, name) ?? find('consumers', name) ?? fail(`source file ${name} not found`);
const load = async (name, dir = 'src') => import(pathToFileURL(join(ROOT, 'dist', source(name, dir).replace(/\.ts$/, '.js'))).href);
function fail(message) {
  throw new Error(`gen-docs: ${message}`);
}

// ---------------------------------------------------------------- TSDoc, via the compiler API

/** name → { summary, defaultValue } of an interface's members or a const object literal's properties (nested objects as `a.b`). */
function tsdocOf(file, container) {
  const sf = ts.createSourceFile(file, readFileSync(join(ROOT, file), 'utf8'), ts.ScriptTarget.ES2022, true);
  const out = new Map();
  const docOf = (node) => {
    const tags = ts.getJSDocCommentsAndTags(node).filter(ts.isJSDoc);
    const doc = tags[tags.length - 1];
    if (!doc) return undefined;
    const text = (c) => (typeof c === 'string' ? c : (c ?? []).map((p) => p.text ?? '').join(''));
    const defaultTag = doc.tags?.find((t) => t.tagName.text === 'defaultValue');
    return { summary: text(doc.comment).replace(/\s+/g, ' ').trim(), defaultValue: defaultTag ? text(defaultTag.comment).replace(/\s+/g, ' ').trim() : undefined };
  };
  const walkObject = (obj, prefix) => {
    for (const prop of obj.properties) {
      if (!prop.name) continue;
      const name = prefix + prop.name.getText(sf);
      const doc = docOf(prop);
      if (doc) out.set(name, doc);
      let init = ts.isPropertyAssignment(prop) ? prop.initializer : undefined;
      while (init && ts.isCallExpression(init) && init.arguments[0]) init = init.arguments[0];
      if (init && ts.isObjectLiteralExpression(init)) walkObject(init, `${name}.`);
    }
  };
  const visit = (node) => {
    if (ts.isInterfaceDeclaration(node) && node.name.text === container) {
      for (const m of node.members) if (m.name) {
        const doc = docOf(m);
        if (doc) out.set(m.name.getText(sf), doc);
      }
    }
    if (ts.isVariableDeclaration(node) && node.name.getText(sf) === container) {
      let init = node.initializer;
      while (init && (ts.isCallExpression(init) || ts.isAsExpression(init) || ts.isSatisfiesExpression?.(init))) init = ts.isCallExpression(init) ? init.arguments[0] : init.expression;
      if (init && ts.isObjectLiteralExpression(init)) walkObject(init, '');
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

/** name → { summary, defaultValue } of every property of an interface, inherited ones included (type checker). */
function propertyDocs(file, interfaceName) {
  const program = ts.createProgram([join(ROOT, file)], { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, strict: true, skipLibCheck: true, noEmit: true });
  const checker = program.getTypeChecker();
  const sf = program.getSourceFile(join(ROOT, file));
  const decl = sf.statements.find((s) => ts.isInterfaceDeclaration(s) && s.name.text === interfaceName) ?? fail(`interface ${interfaceName} not in ${file}`);
  const out = new Map();
  for (const prop of checker.getTypeAtLocation(decl).getProperties()) {
    const summary = ts.displayPartsToString(prop.getDocumentationComment(checker)).replace(/\s+/g, ' ').trim();
    const tag = prop.getJsDocTags(checker).find((t) => t.name === 'defaultValue');
    out.set(prop.name, { summary, defaultValue: tag ? ts.displayPartsToString(tag.text).replace(/\s+/g, ' ').trim() : undefined });
  }
  return out;
}

/** The string literal members of a union type alias, in order. */
function unionMembers(file, typeName) {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const m = new RegExp(`export type ${typeName} =([^;]+);`).exec(text) ?? fail(`type ${typeName} not found in ${file}`);
  return [...m[1].matchAll(/'([^']+)'/g)].map((x) => x[1]);
}

// ---------------------------------------------------------------- zod walking

const def = (schema) => schema._zod.def;
/** Unwraps optional/default/prefault/pipe: the inner schema, its default and whether it may be left out. */
function unwrap(schema) {
  let s = schema;
  let dflt;
  let optional = false;
  for (;;) {
    const d = def(s);
    if (d.type === 'optional') optional = true;
    else if (d.type === 'default' || d.type === 'prefault') {
      optional = true;
      if (dflt === undefined) dflt = typeof d.defaultValue === 'function' ? d.defaultValue() : d.defaultValue;
    } else if (d.type === 'pipe') {
      s = d.in;
      continue;
    } else return { inner: s, dflt, optional };
    s = d.innerType;
  }
}
function typeText(schema) {
  const { inner } = unwrap(schema);
  const d = def(inner);
  switch (d.type) {
    case 'string': return 'string';
    case 'number': return 'number';
    case 'boolean': return 'boolean';
    case 'unknown': return 'object';
    case 'literal': return d.values.map((v) => JSON.stringify(v)).join(' \\| ');
    case 'enum': return Object.values(d.entries).map((v) => `\`${v}\``).join(', ');
    case 'array': return `${typeText(d.element)}[]`;
    case 'record': return `{ name: ${typeText(d.valueType)} }`;
    case 'object': return 'object';
    case 'union': return d.options.map(typeText).join(' or ');
    default: return d.type;
  }
}
const cell = (v) => String(v).replace(/\|/g, '\\|').replace(/\n/g, ' ');
const shown = (v) => (v === undefined ? '' : `\`${JSON.stringify(v)}\``);

// ---------------------------------------------------------------- the blocks

async function configBlock() {
  const { configFileSchema } = await load('config-schema.ts', 'consumers');
  const { BATCH_CONSUMER_TUNING, BATCH_CONSUMER_DEFAULTS } = await load('batch-consumer-options.ts');
  const { ENV_OVERRIDES, CONFIG_PATH_ENV } = await load('env-overrides.ts', 'consumers');
  const { CONFIG_FIELD_DOCS } = await load('config-field-docs.ts', 'consumers');
  const { sinkDefinitions } = await load('registry.ts');
  const defaultsDoc = tsdocOf(source('config-defaults.ts', 'consumers'), 'CONFIG_DEFAULTS');
  const optionsDoc = propertyDocs(source('batch-consumer-options.ts'), 'BatchConsumerOptions');
  const envOf = new Map(Object.entries(ENV_OVERRIDES).map(([env, field]) => [field, env]));
  const tuning = new Set([...Object.keys(BATCH_CONSUMER_TUNING), 'concurrency']);
  const used = new Set();
  const describe = (path) => {
    const key = path.replace(/^schemas\[\]\./, 'schemas[].');
    if (CONFIG_FIELD_DOCS[key] !== undefined) {
      used.add(key);
      return CONFIG_FIELD_DOCS[key];
    }
    const doc = defaultsDoc.get(path);
    if (doc?.summary) return doc.summary;
    fail(`config field ${path} has no description: add it to CONFIG_FIELD_DOCS (consumers/config/config-field-docs.ts) or TSDoc on CONFIG_DEFAULTS`);
  };
  const rows = [];
  const walk = (shape, prefix, skipTuning, parentOptional = false) => {
    for (const [name, schema] of Object.entries(shape)) {
      if (skipTuning && tuning.has(name)) continue;
      const path = prefix + name;
      const { inner, dflt, optional } = unwrap(schema);
      const d = def(inner);
      const env = envOf.get(path);
      const isObject = d.type === 'object';
      const isEntries = d.type === 'array' && def(unwrap(d.element).inner).type === 'object';
      const dfltText = isObject || name === 'defaults' ? '' : optional || parentOptional ? (dflt === undefined ? 'none' : shown(dflt)) : 'required';
      const grouping = isObject && ['http', 'redis', 'redis.cluster'].includes(path);
      const meaning = grouping ? '' : describe(path);
      if (!grouping) rows.push([`\`${path}\``, isEntries ? 'object[]' : typeText(schema), dfltText, `${meaning}${env && !meaning.includes(env) ? ` Env \`${env}\` overrides.` : ''}`]);
      if (isObject && name !== 'defaults') walk(d.shape, `${path}.`, false, parentOptional || (optional && dflt === undefined));
      if (d.type === 'union' && name === 'keepCompletedJobs') {
        const obj = d.options.map((o) => unwrap(o).inner).find((o) => def(o).type === 'object');
        if (obj) walk(def(obj).shape, `${path}.`, false);
      }
    }
  };
  walk(def(configFileSchema).shape, '', false);
  const schemaEntry = unwrap(def(unwrap(def(configFileSchema).shape.schemas).inner).element).inner;
  const entryRows = [];
  for (const [name, schema] of Object.entries(def(schemaEntry).shape)) {
    if (tuning.has(name)) continue;
    const { optional, dflt } = unwrap(schema);
    entryRows.push([`\`${name}\``, typeText(schema), optional ? (dflt === undefined ? 'see meaning' : shown(dflt)) : 'required', describe(`schemas[].${name}`)]);
  }
  const tuningRows = [...tuning].map((field) => {
    const doc = optionsDoc.get(field);
    if (!doc?.summary) fail(`BatchConsumerOptions.${field} has no TSDoc`);
    const kind = BATCH_CONSUMER_TUNING[field] ?? 'positive';
    const value = BATCH_CONSUMER_DEFAULTS[field];
    return [`\`${field}\``, kind, value === undefined ? cell(doc.defaultValue ?? 'computed') : shown(value), cell(doc.summary)];
  });
  for (const key of Object.keys(CONFIG_FIELD_DOCS)) if (!used.has(key)) fail(`CONFIG_FIELD_DOCS names ${key}, which the config schema does not have`);
  const sinkSections = sinkDefinitions().map((definition) => {
    const shape = def(definition.config).shape ?? {};
    const fields = Object.entries(shape).filter(([n]) => n !== 'type').map(([n, s]) => `\`${n}\`${unwrap(s).optional ? '' : ' (required)'}: ${typeText(s)}`);
    return `- **\`${definition.type}\`** (${definition.title}; takes ${definition.schemas === 'table' ? 'SQL schemas' : definition.schemas === 'plain' ? 'schemas without a table' : 'any schema'}${definition.clientPackages.length ? `; needs ${definition.clientPackages.map((p) => `\`${p}\``).join(', ')}` : ''}): ${fields.join(', ') || 'no fields'}`;
  });
  const table = (head, body) => [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...body.map((r) => `| ${r.map(cell).join(' | ')} |`)].join('\n');
  return [
    '### Top-level fields',
    '',
    table(['field', 'type', 'default', 'meaning'], rows),
    '',
    `The config file is named by \`--config\` or env \`${CONFIG_PATH_ENV}\`.`,
    '',
    '### Sinks',
    '',
    'Fields not given take the driver\'s defaults (the `@defaultValue` of its options).',
    '',
    ...sinkSections,
    '',
    '### Schema entries',
    '',
    table(['field', 'type', 'default', 'meaning'], entryRows),
    '',
    '### Tuning',
    '',
    'In `defaults` (every schema) or on a schema entry. The fields, their checks and their defaults are `BatchConsumer`\'s own (`BATCH_CONSUMER_TUNING`, `BATCH_CONSUMER_DEFAULTS`); the same names are `BatchConsumerOptions` in the library.',
    '',
    table(['field', 'check', 'default', 'meaning'], tuningRows),
  ].join('\n');
}

async function metricsBlock() {
  const { PrometheusReporter } = await load('prometheus-reporter.ts');
  const { Registry } = await import('prom-client');
  const registry = new Registry();
  new PrometheusReporter({ registry, collectDefaultMetrics: false });
  const metrics = await registry.getMetricsAsJSON();
  const byName = new Map(registry.getMetricsAsArray().map((m) => [m.name, m]));
  const rows = metrics
    .map((m) => [`\`${m.name}\``, m.type, (byName.get(m.name)?.labelNames ?? []).map((l) => `\`${l}\``).join(', ') || '–', cell(m.help)])
    .sort((a, b) => a[0].localeCompare(b[0]));
  return [`${rows.length} series, all prefixed \`batchflow_\`, from \`PrometheusReporter\`'s registry:`, '', '| metric | type | labels | meaning |', '|---|---|---|---|', ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

async function errorsBlock() {
  const dir = source('batchflow-error.ts').replace(/\/[^/]+$/, '');
  const rows = [];
  for (const file of readdirSync(join(ROOT, dir)).filter((f) => f.endsWith('-error.ts')).sort()) {
    const text = readFileSync(join(ROOT, dir, file), 'utf8');
    const cls = /export (?:abstract )?class (\w+)/.exec(text)?.[1];
    if (!cls) continue;
    const parent = /class \w+ extends (\w+)/.exec(text)?.[1];
    const own = /super\(\s*'(ERR_[A-Z_]+)'/.exec(text)?.[1] ?? /code[^=\n]*=\s*'(ERR_[A-Z_]+)'/.exec(text)?.[1];
    const code = own ?? (cls === 'BatchFlowError' ? '(each subclass\'s)' : parent && parent !== 'BatchFlowError' ? `(its parent ${parent}'s)` : fail(`${file}: no ERR_ code found`));
    const doc = tsdocOf(join(dir, file), cls);
    const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
    let summary = '';
    ts.forEachChild(sf, (n) => {
      if (ts.isClassDeclaration(n) && n.name?.text === cls) {
        const jsdoc = ts.getJSDocCommentsAndTags(n).filter(ts.isJSDoc).pop();
        const part = (p) => (p.kind === ts.SyntaxKind.JSDocLink || p.kind === ts.SyntaxKind.JSDocLinkCode ? `\`${(p.name?.getText(sf) ?? '').replace(/^\w+\./, '')}${p.text ?? ''}\`` : (p.text ?? ''));
        summary = typeof jsdoc?.comment === 'string' ? jsdoc.comment : (jsdoc?.comment ?? []).map(part).join('');
      }
    });
    void doc;
    rows.push([code.startsWith('ERR_') ? `\`${code}\`` : code, `\`${cls}\``, cell(summary.replace(/\s+/g, ' ').replace(/\{@link ([^}]+)\}/g, '`$1`').trim())]);
  }
  const { failureAction, isContentSuspect } = await load('failure-reason.ts', 'src/errors');
  const reasons = unionMembers(source('failure-reason.ts', 'src/errors'), 'FailureReason');
  const kinds = unionMembers(source('validation-error.ts'), 'ValidationKind');
  const { DEAD_LETTER_CLASSES } = await load('dead-letter-entry.ts');
  const what = { bisect: 'bisect the batch; a request failing alone while the sink is healthy (its neighbours commit, or a probe answers) goes to the DLQ', abort: 'nothing decided: the caller aborted (shutdown)', retry: 'retry the batch with backoff and full jitter, then hold', hold: 'hold the batch: backoff, breaker, consumption pauses; nothing dead-lettered', stop: 'nothing decided (the caller aborted)' };
  return [
    '### Error codes',
    '',
    '| `code` | class | when |',
    '|---|---|---|',
    ...rows.map((r) => `| ${r.join(' | ')} |`),
    '',
    '### `SinkError` reasons',
    '',
    '| `reason` | what the pipeline does (`failureAction`) |',
    '|---|---|',
    ...reasons.map((r) => {
      const action = failureAction(r);
      const suspect = isContentSuspect(r) ? ', unless a probe write right after it succeeds: then a healthy sink refused this content, and the batch is bisected like `non_retryable`' : '';
      return `| \`${r}\` | \`${action}\`: ${what[action] ?? action}${suspect} |`;
    }),
    '',
    '### `ValidationError` kinds',
    '',
    kinds.map((k) => `\`${k}\``).join(', '),
    '',
    '### Dead-letter classes',
    '',
    `A DLQ entry's \`class\`: ${DEAD_LETTER_CLASSES.map((c) => `\`${c}\``).join(', ')}.`,
  ].join('\n');
}

async function benchBlock() {
  const result = JSON.parse(readFileSync(join(ROOT, 'bench/results/latest.json'), 'utf8'));
  const int = (n) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '–');
  const sinks = [...new Set(result.scenarios.map((s) => s.sink).filter(Boolean))];
  const kinds = [...new Set(result.scenarios.map((s) => s.kind))];
  const env = result.environment;
  const find = (kind, sink) => result.scenarios.find((s) => s.kind === kind && (s.sink === sink || s.sink === null));
  const rows = kinds.map((kind) => `| ${kind} | ${sinks.map((sink) => int(find(kind, sink)?.rowsPerSecond)).join(' | ')} |`);
  const targets = result.targets.map((t) => `| ${t.sink ?? '–'} | ${cell(t.target)} | ${t.measured === null ? '–' : Number(t.measured.toPrecision(3))} | ${cell(t.bound)} | ${t.verdict} |`);
  return [
    `Run ${env.startedAt}, ${Math.round(result.totalSeconds)} s; ${env.cpus} × ${env.cpuModel}, Node ${env.node}; load average before ${env.loadAverageBefore.map((l) => l.toFixed(2)).join(' ')}. ${int(result.options.rows)} rows per scenario. Source: \`bench/results/latest.json\`.`,
    '',
    `| rows/s | ${sinks.join(' | ')} |`,
    `|---|${sinks.map(() => '--:').join('|')}|`,
    ...rows,
    '',
    '| sink | target | measured | bound | verdict |',
    '|---|---|---|---|---|',
    ...targets,
  ].join('\n');
}

// ---------------------------------------------------------------- write or check

const TARGETS = [
  ['docs/reference/configuration.md', 'config', configBlock],
  ['docs/reference/metrics.md', 'metrics', metricsBlock],
  ['docs/reference/errors.md', 'errors', errorsBlock],
  ['docs/benchmarks.md', 'bench', benchBlock],
];

let stale = 0;
for (const [file, name, build] of TARGETS) {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const start = `<!-- generated:${name}:start (scripts/gen-docs.mjs; edit the code, then npm run docs) -->`;
  const end = `<!-- generated:${name}:end -->`;
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  if (i < 0 || j < i) fail(`${file} has no ${start} … ${end} markers`);
  const next = `${text.slice(0, i + start.length)}\n${await build()}\n${text.slice(j)}`;
  if (next === text) continue;
  if (WRITE) {
    writeFileSync(join(ROOT, file), next);
    console.log(`wrote ${relative(ROOT, join(ROOT, file))} (${name})`);
  } else {
    console.error(`✘ ${file}: the generated ${name} block is stale; run \`npm run docs\` and commit the result`);
    stale++;
  }
}
if (!WRITE && stale === 0) console.log(`✔ generated docs are up to date (${TARGETS.length} blocks)`);
process.exitCode = stale ? 1 : 0;
