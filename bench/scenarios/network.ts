import type { Attempt, BenchContext } from '../context.js';
import { startDelayProxy } from '../delay-proxy.js';
import type { ScenarioResult } from '../result.js';
import { createSink, type BenchSink } from '../bench-sinks.js';
import type { SinkName } from '../options.js';
import { runDefaults, runDrain } from './defaults.js';
import { runNaiveWorker } from './naive-worker.js';
import { runRawCeiling } from './raw-ceiling.js';

/**
 * Rows per network run: the 50,000; the naive worker, which pays a round trip per row
 * (about 1,000 rows/s through 1 ms each way), writes 10,000, enough for its rate.
 */
export const NETWORK = Object.freeze({ rows: 50_000, naiveRows: 10_000 });

/** The sinks behind a network: the ones with a server to put a proxy in front of. */
export const NETWORK_SINKS: readonly SinkName[] = Object.freeze(['postgres', 'mysql']);

/** Which writer a network run measured. */
export type NetworkMode = 'raw' | 'naive' | 'defaults' | 'drain';

/** What a network run measured besides rows per second. */
export interface NetworkMeasurements {
  readonly mode: NetworkMode;
  /** Delay the proxy added to each chunk, each way (the round trip grows by twice this). */
  readonly delayMs: number;
  /** Rows/s over the raw write's through the same proxy in the same run (absent for raw itself). */
  readonly ratioToRaw?: number;
}

/**
 * The database across a network (issue 21): a delay proxy in this process (`bench/delay-proxy.ts`)
 * in front of the sink's server, and raw, naive, defaults and drain through it, each with its
 * table under a run id of its own. The consumer children connect to the proxy's port; Redis stays
 * local, as the queue usually sits beside the workers.
 */
export async function runNetwork(ctx: BenchContext, sink: BenchSink, attempt: Attempt): Promise<void> {
  if (!NETWORK_SINKS.includes(sink.name)) return;
  const direct = new URL(ctx.urls.sinkUrls[sink.name] ?? '');
  const delayMs = ctx.options.networkDelayMs;
  const proxy = await startDelayProxy({ host: direct.hostname, port: Number(direct.port) }, delayMs);
  const proxied = new URL(direct);
  proxied.hostname = '127.0.0.1';
  proxied.port = String(proxy.port);
  const urls = { ...ctx.urls, sinkUrls: { ...ctx.urls.sinkUrls, [sink.name]: proxied.toString() } };
  const net: BenchContext = { ...ctx, runId: `${ctx.runId}n`, urls, options: { ...ctx.options, rows: Math.min(NETWORK.rows, ctx.options.rows) } };
  const remote = await createSink(sink.name, urls);
  const through = (mode: NetworkMode, run: () => Promise<ScenarioResult>, raw?: ScenarioResult) =>
    attempt('network', sink.name, async () => {
      const result = await run();
      return {
        ...result,
        kind: 'network',
        description: `${mode} through a delay proxy (${delayMs} ms each way): ${result.description}`,
        network: { mode, delayMs, ...(raw && { ratioToRaw: result.rowsPerSecond / raw.rowsPerSecond }) },
      };
    });
  try {
    const raw = await through('raw', () => runRawCeiling(net, remote));
    const naive: BenchContext = { ...net, options: { ...net.options, rows: Math.min(NETWORK.naiveRows, net.options.rows) } };
    await through('naive', () => runNaiveWorker(naive, remote), raw);
    await through('defaults', () => runDefaults(net, remote), raw);
    await through('drain', () => runDrain(net, remote), raw);
  } finally {
    await remote.close();
    await proxy.close();
  }
}
