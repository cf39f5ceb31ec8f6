import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BenchResult, ScenarioResult, TargetVerdict } from './result.js';

const int = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '–');
const mb = (bytes: number | undefined) => (bytes === undefined ? '–' : `${(bytes / 1024 / 1024).toFixed(1)} MB`);

/** A Markdown table with padded columns, readable as plain text on a terminal too. */
function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

function scenarioRow(s: ScenarioResult): string[] {
  const verified = `${int(s.rowsVerified)}/${int(s.rowsSubmitted)}${s.rowsVerified === s.rowsSubmitted ? '' : ' ✗'}`;
  const latency = s.latency ? `p50 ${int(s.latency.p50Ms)} ms, p99 ${int(s.latency.p99Ms)} ms at ${int(s.latency.achievedRate)}/s` : '';
  const rows = (n: number) => (n % 1_000_000 === 0 ? `${n / 1_000_000}M` : `${n / 1000}k`);
  const rss = s.rssAtMarks?.map((m) => `${rows(m.rows)} rows: RSS ${mb(m.rssBytes)} (heap ${mb(m.heapUsedBytes)})`).join(', ') ?? '';
  const memory = s.redisMemory ? `Redis ${mb(s.redisMemory.beforeBytes)} → ${mb(s.redisMemory.afterBytes)}` : '';
  const perRow = (cpuSeconds: number | undefined) => (cpuSeconds === undefined || s.rowsSubmitted === 0 ? '–' : (cpuSeconds * 1e6 / s.rowsSubmitted).toFixed(1));
  const seq = s.sequential;
  const sequential = seq
    ? `submit→commit p50/p99: packing default ${int(seq.packingDefault.p50Ms)}/${int(seq.packingDefault.p99Ms)} ms, off ${int(seq.packingOff.p50Ms)}/${int(seq.packingOff.p99Ms)} ms; submit→stored p50: default ${seq.packingDefault.storedP50Ms.toFixed(2)} ms, off ${seq.packingOff.storedP50Ms.toFixed(2)} ms`
    : '';
  const sizes = s.flushSizes;
  const sweep = s.flushSize === undefined ? '' : `flushSize ${s.flushSize}${s.flushSize === 'auto' && sizes ? ` (${sizes.first} → max ${sizes.max}, last ${sizes.last}, ${sizes.changes} changes)` : ''}`;
  const cluster = s.cluster
    ? `${s.cluster.partitions} partition(s), ${int(s.cluster.jobs)} jobs (${(s.rowsSubmitted / s.cluster.jobs).toFixed(1)} rows per job); per master: ${s.cluster.masters.map((m) => `${m.node.split(':')[1]} [${m.queues.join(' ') || 'no queue'}] ${m.cpuMicrosPerRow.toFixed(1)} µs/row, ${Math.round(m.callShare * 100)}% of calls`).join('; ')}`
    : '';
  const hot = s.hotKeys ? hotKeyNote(s.hotKeys) : '';
  const deletes = s.deletes ? `${s.deletes.mix}, ${int(s.deletes.deletes)} deletes${s.deletes.ratioToUpserts === undefined ? '' : `, ${s.deletes.ratioToUpserts.toFixed(2)}× the upsert-only rate`}` : '';
  const t = s.tracing;
  const tracing = t
    ? `tracing off ${int(t.offRowsPerSecond)} rows/s (${t.offOtelModulesLoaded} @opentelemetry modules loaded), api absent ${int(t.absentRowsPerSecond)}, on ${int(t.onRowsPerSecond)} (${((1 - t.onRowsPerSecond / t.offRowsPerSecond) * 100).toFixed(1)}% slower, ${int(t.onSpans)} spans); CPU µs/row off ${t.offCpuMicrosPerRow.toFixed(2)}, absent ${t.absentCpuMicrosPerRow.toFixed(2)}, on ${t.onCpuMicrosPerRow.toFixed(2)}; medians of ${t.rounds} round(s), rows/s and CPU µs/row: ${t.runs.map((r) => `${r.mode} ${int(r.rowsPerSecond)} (${r.cpuMicrosPerRow.toFixed(1)})`).join(', ')}`
    : '';
  const sc = s.schemas;
  const schemas = sc
    ? `${sc.schemas} schemas: idle CPU ${(sc.idleCpuShare * 100).toFixed(2)}% of a core over ${sc.idleSeconds.toFixed(0)} s, ${sc.redisConnections} Redis connections, idle RSS ${mb(sc.idleRssBytes)}; p50/p99 submit→commit ${int(sc.p50Ms)}/${int(sc.p99Ms)} ms at ${sc.ratePerSchema}/s per schema (flushIntervalMs ${sc.flushIntervalMs})`
    : '';
  const network = s.network ? `${s.network.mode} through ${s.network.delayMs} ms each way${s.network.ratioToRaw === undefined ? '' : `, ${s.network.ratioToRaw.toFixed(2)}× raw through the proxy`}` : '';
  const wide = s.wide ? `${s.wide.mode}, ${s.wide.megabytesPerSecond.toFixed(1)} MB/s at ${int(s.wide.bytesPerRow)} B per row${s.wide.ratioToRaw === undefined ? '' : `, ${s.wide.ratioToRaw.toFixed(2)}× the raw write's MB/s`}` : '';
  const flood = s.flood ? `consumer ${int(s.flood.consumerRowsPerSecondDuringFlood)} rows/s during the flood (${int(s.flood.rowsDuringFlood)} rows by the last submit)` : '';
  return [s.sink ?? '(any)', s.kind, int(s.rowsPerSecond), s.seconds.toFixed(2), verified, mb(s.consumer?.maxRssBytes), s.machineCpuBusy === undefined ? '–' : `${Math.round(s.machineCpuBusy * 100)}%`, perRow(s.consumer && (s.consumer.cpuUserMs + s.consumer.cpuSystemMs) / 1000), perRow(s.producerCpuSeconds), perRow(s.redisCpuSeconds), [sweep, cluster, hot, deletes, network, wide, tracing, schemas, latency, sequential, flood, rss, memory].filter(Boolean).join('; ')];
}

/** A hot-key result's note: keys, retries, and per trial its rate (and ratio to the unique run) and the load it ran under. */
function hotKeyNote(h: NonNullable<ScenarioResult['hotKeys']>): string {
  const spread = (values: readonly number[], digits: number) => (values.length > 1 ? ` (trials ${values.map((v) => v.toFixed(digits)).join(', ')})` : '');
  const ratio = h.ratioToUnique === undefined ? '' : `, ${h.trials > 1 ? 'median ' : ''}${h.ratioToUnique.toFixed(2)}× the unique-key rate${spread(h.ratiosToUnique ?? [], 2)}`;
  const rates = h.trials > 1 ? `, rows/s ${h.rowsPerSecondByTrial.map(int).join(', ')}` : '';
  const load = h.loadAverageByTrial.length > 0 ? `, load ${h.loadAverageByTrial.map((l) => l.toFixed(1)).join(', ')}` : '';
  return `${h.distribution} over ${int(h.keys)} keys, ${h.workers} workers, ${int(h.deadlockRetries)} deadlock retries${ratio}${rates}${load}`;
}

/** Three significant digits (so a ratio of 1.104 does not print as a misleading 1.10), whole numbers from 1,000. */
function measured(n: number | null): string {
  if (n === null) return '–';
  return Math.abs(n) >= 1000 ? int(n) : String(Number(n.toPrecision(3)));
}

function targetRow(t: TargetVerdict): string[] {
  return [t.sink ?? '–', t.target, measured(t.measured), t.bound, t.verdict, t.detail];
}

/** The run as Markdown: environment, one row per scenario, one per target, and what each scenario did. */
export function renderMarkdown(result: BenchResult): string {
  const env = result.environment;
  const o = result.options;
  return [
    `# BatchFlow benchmark${o.quick ? ' (quick smoke run: numbers not meaningful)' : ''}`,
    '',
    `Run ${env.startedAt}, ${result.totalSeconds.toFixed(0)} s. ${env.cpus} × ${env.cpuModel}, ${mb(env.memoryTotalBytes)} RAM, Node ${env.node}.`,
    `Load average before ${env.loadAverageBefore.map((l) => l.toFixed(2)).join(' ')}, after ${env.loadAverageAfter.map((l) => l.toFixed(2)).join(' ')}.`,
    `Servers: ${Object.entries(env.servers).map(([k, v]) => `${k}: ${v}`).join('; ')}.`,
    `Options: ${Object.entries(o).filter(([k]) => !k.endsWith('Url') && k !== 'sinkUrls').map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ')}.`,
    '',
    '## Scenarios',
    '',
    table(['sink', 'scenario', 'rows/s', 'seconds', 'verified', 'worker peak RSS', 'machine CPU busy', 'worker CPU µs/row', 'producer (raw: client) CPU µs/row', 'Redis CPU µs/row', 'notes'], result.scenarios.map(scenarioRow)),
    '',
    '## Targets',
    '',
    table(['sink', 'target', 'measured', 'bound', 'verdict', 'detail'], result.targets.map(targetRow)),
    '',
    '## What each scenario did',
    '',
    ...result.scenarios.map((s) => `- **${s.sink ?? 'any'} ${s.kind}**: ${s.description}; verified by ${s.verifiedBy}.`),
    '',
  ].join('\n');
}

/** Prints the tables to stdout and writes `<name>.json` and `<name>.md` into `dir`; returns their paths. */
export async function writeReport(result: BenchResult, dir: string, name: string): Promise<{ json: string; markdown: string }> {
  const markdown = renderMarkdown(result);
  process.stdout.write(`\n${markdown}`);
  await mkdir(dir, { recursive: true });
  const paths = { json: join(dir, `${name}.json`), markdown: join(dir, `${name}.md`) };
  await writeFile(paths.json, `${JSON.stringify(result, null, 2)}\n`);
  await writeFile(paths.markdown, markdown);
  return paths;
}
