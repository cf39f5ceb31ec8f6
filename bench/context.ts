import type { BenchOptions, SinkName } from './options.js';
import type { BenchAdmin } from './redis-admin.js';
import type { ScenarioKind, ScenarioResult } from './result.js';
import type { SinkUrls } from './bench-sinks.js';

/** What every scenario of one run shares. */
export interface BenchContext {
  readonly options: BenchOptions;
  /** Short random id: every table, hash and BullMQ prefix of the run carries it. */
  readonly runId: string;
  readonly urls: SinkUrls;
  readonly admin: BenchAdmin;
}

/** Runs one scenario if `--scenarios` picked it, records its result (or its failure) and returns it. */
export type Attempt = (kind: ScenarioKind, sink: SinkName | null, run: () => Promise<ScenarioResult>) => Promise<ScenarioResult | undefined>;

/** Table (and schema and queue) name plus BullMQ prefix of one scenario, unique to the run. */
export function scenarioNames(ctx: BenchContext, sink: SinkName | null, kind: ScenarioKind): { target: string; prefix: string } {
  const target = `bfbench_${ctx.runId}_${sink ?? 'bullmq'}_${kind.replaceAll('-', '_')}`;
  // The prefix may equal the target: BullMQ keys are `<prefix>:<queue>:…`, the Redis sink's hash is `bfbench:sink:<target>`.
  return { target, prefix: target };
}
