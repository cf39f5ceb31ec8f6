import { Producer } from '../../src/index.js';
import type { Attempt, BenchContext } from '../context.js';
import { scenarioNames } from '../context.js';
import { pump, PRODUCER_SHAPE } from '../pump.js';
import type { ScenarioResult } from '../result.js';
import type { BenchSink } from '../bench-sinks.js';
import { makeWideRows, wideRequestRow, wideRowBytes, wideSchema } from '../wide-rows.js';
import { DEFAULT_CONSUMER } from './defaults.js';
import { runQueueScenario } from './queue-run.js';
import { timeRawWrites } from './raw-ceiling.js';

/** Rows per wide run: at ~2 KB each, 20,000 rows are ~40 MB in the queue, a bounded share of a shared Redis. */
export const WIDE = Object.freeze({ rows: 20_000 });

/** What a wide run measured besides rows per second. */
export interface WideMeasurements {
  readonly mode: 'raw' | 'drain';
  /** Mean JSON bytes per row (the same rows in both modes). */
  readonly bytesPerRow: number;
  readonly megabytesPerSecond: number;
  /** The drain's MB/s over the raw write's of the same run (absent for the raw run). */
  readonly ratioToRaw?: number;
}

/**
 * Wide rows (issue 21): 20 columns of mixed types, ~2 KB per row, on each SQL sink with a wide
 * table. First the raw write of the rows (the database's ceiling for this shape), then a default
 * `BatchConsumer` draining the same rows from a queue a default Producer filled first.
 */
export async function runWide(ctx: BenchContext, sink: BenchSink, attempt: Attempt): Promise<void> {
  const wide = sink.wide;
  if (!wide) return;
  const rows = Math.min(WIDE.rows, ctx.options.rows);
  const sample = makeWideRows(0, Math.min(rows, 1000));
  const bytesPerRow = sample.reduce((sum, row) => sum + wideRowBytes(row), 0) / sample.length;
  const measured = (result: ScenarioResult, mode: WideMeasurements['mode'], raw?: ScenarioResult): ScenarioResult => {
    const megabytesPerSecond = (result.rowsPerSecond * bytesPerRow) / 1e6;
    const rawMb = raw?.wide?.megabytesPerSecond;
    return { ...result, kind: 'wide', wide: { mode, bytesPerRow, megabytesPerSecond, ...(rawMb !== undefined && { ratioToRaw: megabytesPerSecond / rawMb }) } };
  };
  const raw = await attempt('wide', sink.name, async () => {
    const target = `${scenarioNames(ctx, sink.name, 'wide').target}_raw`;
    await wide.create(target);
    const result = await timeRawWrites(sink, target, 'wide', rows, wide.rawWriter(target), makeWideRows);
    return measured({ ...result, description: `wide rows, raw write: ${result.description}` }, 'raw');
  });
  await attempt('wide', sink.name, async () => {
    const { result } = await runQueueScenario(ctx, {
      kind: 'wide',
      sink,
      description: `wide rows, drain: ${rows} rows of 20 columns (~${Math.round(bytesPerRow)} B as JSON) queued first by a default Producer (submitMany), then a default BatchConsumer alone`,
      rows,
      consumer: { ...DEFAULT_CONSUMER, wide: true },
      create: (target) => wide.create(target),
      fillFirst: true,
      producer: (target, prefix) => {
        const schema = wideSchema(target);
        const producer = new Producer({ connection: ctx.urls.redisUrl, schemas: [schema], prefix });
        return {
          run: () => pump(rows, PRODUCER_SHAPE.chunkRows, PRODUCER_SHAPE.inFlight, (first, count) => producer.submitMany(schema, makeWideRows(first, count).map(wideRequestRow))),
          close: () => producer.close(),
        };
      },
    });
    return measured(result, 'drain', raw);
  });
}
