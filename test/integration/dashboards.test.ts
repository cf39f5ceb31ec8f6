import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrometheusReporter } from '../../src/index.js';
import { exerciseEveryMetric } from '../helpers/exercise-metrics.js';

const run = promisify(execFile);
const DASHBOARD = 'dashboards/grafana/batchflow.json';
const ALERTS = 'dashboards/prometheus/alerts.yml';

/** Series Prometheus makes up itself for every scrape target, not exported by any reporter. */
const SCRAPE_SERIES: ReadonlySet<string> = new Set(['up']);
const PROMQL_KEYWORDS: ReadonlySet<string> = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan']);

interface Panel {
  type: string;
  title: string;
  datasource?: { uid?: string };
  targets?: Array<{ expr?: string }>;
  panels?: Panel[];
}

/**
 * Metric names a PromQL expression selects: identifiers left once strings, label matchers,
 * ranges, label lists and Grafana variables are removed, minus function names and keywords.
 */
function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\boffset\s+-?[0-9][0-9a-z]*/g, '')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '')
    .replace(/\$\{?\w+\}?/g, '');
  return [...bare.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)]
    .filter((m) => !/^\s*\(/.test(bare.slice((m.index ?? 0) + m[0].length)) && !PROMQL_KEYWORDS.has(m[0].toLowerCase()))
    .map((m) => m[0]);
}

/** Every panel, including those nested in collapsed rows. */
function allPanels(panels: readonly Panel[]): Panel[] {
  return panels.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);
}

/**
 * The `expr:` values of a rules file, inline or as a `|` block. Enough for our own file; the
 * count is checked against promtool's, so a rule this misses fails the test.
 */
function ruleExprs(yaml: string): string[] {
  const lines = yaml.split('\n');
  const exprs: string[] = [];
  lines.forEach((line, i) => {
    const m = /^(\s*)expr:\s*(.*)$/.exec(line);
    if (!m) return;
    const [, indent = '', inline = ''] = m;
    if (!/^[|>]/.test(inline)) return void exprs.push(inline);
    // A block scalar runs on while lines are blank or indented deeper than `expr:`.
    const block: string[] = [];
    for (const next of lines.slice(i + 1)) {
      if (next.trim() !== '' && next.search(/\S/) <= indent.length) break;
      block.push(next);
    }
    exprs.push(block.join('\n'));
  });
  return exprs;
}

describe('dashboards and Prometheus config', () => {
  let dir: string;
  let dashboard: { schemaVersion: number; uid: string; panels: Panel[]; templating: { list: Array<{ name: string; type: string; query?: unknown }> } };
  let panelExprs: string[];
  let alertExprs: string[];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'batchflow-dashboards-'));
    dashboard = JSON.parse(await readFile(DASHBOARD, 'utf8'));
    panelExprs = allPanels(dashboard.panels).flatMap((p) => (p.targets ?? []).map((t) => t.expr ?? ''));
    alertExprs = ruleExprs(await readFile(ALERTS, 'utf8'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('is a Grafana dashboard whose every panel queries the selectable Prometheus datasource', () => {
    expect(dashboard.uid).toBe('batchflow');
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(39);
    expect(dashboard.templating.list.map((v) => [v.name, v.type])).toEqual([
      ['datasource', 'datasource'],
      ['schema', 'query'],
    ]);
    const dataPanels = allPanels(dashboard.panels).filter((p) => p.type !== 'row');
    expect(dataPanels.length).toBeGreaterThanOrEqual(12);
    for (const panel of dataPanels) {
      expect(panel.datasource?.uid, panel.title).toBe('${datasource}');
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
      for (const target of panel.targets ?? []) expect(target.expr, panel.title).toMatch(/\S/);
    }
  });

  it('references only metrics the PrometheusReporter exports', async () => {
    const reporter = new PrometheusReporter();
    exerciseEveryMetric(reporter);
    const exported = new Set([...(await reporter.metrics()).matchAll(/^([A-Za-z_:][A-Za-z0-9_:]*)[{ ]/gm)].map((m) => m[1]));
    // Grafana's label_values(<series selector>, <label>): only the selector is PromQL.
    const variableQueries = dashboard.templating.list.flatMap((v) =>
      v.type === 'query' && typeof v.query === 'string' ? [/^label_values\((.*),\s*\w+\)$/.exec(v.query)?.[1] ?? v.query] : [],
    );
    expect(variableQueries).toEqual(['batchflow_queue_depth']);
    const referenced = new Set([...panelExprs, ...variableQueries, ...alertExprs].flatMap(metricNames));
    const missing = [...referenced].filter((name) => !exported.has(name) && !SCRAPE_SERIES.has(name));
    expect(missing).toEqual([]);
    expect([...referenced].filter((name) => !name.startsWith('batchflow_'))).toEqual(['up']);
    // The panels cover what an operator watches.
    const inPanels = new Set(panelExprs.flatMap(metricNames));
    for (const name of [
      'batchflow_rows_committed_total',
      'batchflow_batch_size_bucket',
      'batchflow_batch_execute_duration_seconds_bucket',
      'batchflow_errors_total',
      'batchflow_rows_dead_lettered_total',
      'batchflow_queue_depth',
      'batchflow_breaker_state',
      'batchflow_in_flight_batches',
      'batchflow_flush_size',
      'batchflow_request_latency_seconds_bucket',
    ]) {
      expect(inPanels, name).toContain(name);
    }
  });

  it('has panel queries that are valid PromQL (checked by promtool as recording rules)', async () => {
    // Grafana's variables replaced by values they take at run time.
    const rules = panelExprs.map((expr, i) => ({
      record: `dashboard:panel_query_${i}`,
      expr: expr.replaceAll('$__rate_interval', '1m').replaceAll('$schema', '.*'),
    }));
    const file = join(dir, 'dashboard-queries.yml');
    await writeFile(file, JSON.stringify({ groups: [{ name: 'dashboard', rules }] })); // JSON is YAML
    const { stdout } = await run('promtool', ['check', 'rules', file]);
    expect(stdout).toContain(`SUCCESS: ${rules.length} rules found`);
  });

  it('has alert rules that promtool accepts and whose unit tests pass', async () => {
    const { stdout } = await run('promtool', ['check', 'rules', ALERTS]);
    expect(stdout).toContain(`SUCCESS: ${alertExprs.length} rules found`);
    const tests = await run('promtool', ['test', 'rules', 'dashboards/prometheus/alerts.test.yml']);
    expect(tests.stdout).toContain('SUCCESS');
  });

  it('has a Prometheus config that promtool accepts, rule file included', async () => {
    const { stdout } = await run('promtool', ['check', 'config', 'dashboards/prometheus/prometheus.yml']);
    expect(stdout).toContain('is valid prometheus config file syntax');
    expect(stdout).toContain('SUCCESS: 1 rule files found');
  });

  it('has a valid docker-compose.yml', async () => {
    await run('docker-compose', ['config', '-q']); // rejects on a non-zero exit
    const { stdout } = await run('docker-compose', ['config', '--services']);
    expect(stdout.split('\n')).toEqual(expect.arrayContaining(['redis', 'worker', 'prometheus', 'grafana']));
  });
});
