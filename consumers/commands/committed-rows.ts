/** The counter `stats` reads throughput from. */
export const COMMITTED_METRIC = 'batchflow_rows_committed_total';

/**
 * Sums a counter from Prometheus text exposition per `schema` label (over every other label,
 * e.g. `sink`). Lines of other metrics, comments and malformed lines are ignored.
 */
export function sumBySchema(text: string, metric = COMMITTED_METRIC): Map<string, number> {
  const sums = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${metric}{`) && !line.startsWith(`${metric} `)) continue;
    const schema = /[{,]schema="((?:[^"\\]|\\.)*)"/.exec(line)?.[1] ?? '';
    const value = Number(line.slice(line.lastIndexOf('}') + 1).trim().split(/\s+/)[0]);
    if (Number.isFinite(value)) sums.set(schema, (sums.get(schema) ?? 0) + value);
  }
  return sums;
}
