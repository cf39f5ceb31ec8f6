import { scenarioNames, type BenchContext } from '../context.js';
import { busyShare, readMachineCpu } from '../machine-cpu.js';
import { scenarioProgress } from '../progress.js';
import type { ScenarioResult } from '../result.js';
import { makeRows } from '../rows.js';
import type { BenchSink, RawWriter } from '../bench-sinks.js';

/** (c) The database's ceiling: the fastest bulk write we know for it, straight from this process, no queue. */
export async function runRawCeiling(ctx: BenchContext, sink: BenchSink): Promise<ScenarioResult> {
  const { target } = scenarioNames(ctx, sink.name, 'raw');
  await sink.create(target);
  return timeRawWrites(sink, target, 'raw', ctx.options.rows, sink.rawWriter(target), makeRows);
}

/**
 * Writes `rows` rows (made by `make`, in the writer's chunks) into a created `target` and times it,
 * then verifies with the sink's count and drops the target: the raw ceiling of any row shape.
 */
export async function timeRawWrites<R>(
  sink: BenchSink,
  target: string,
  kind: 'raw' | 'wide',
  rows: number,
  writer: RawWriter<R>,
  make: (first: number, count: number) => R[],
): Promise<ScenarioResult> {
  const bar = scenarioProgress(`${sink.name} ${kind} raw`, rows);
  try {
    const machineBefore = readMachineCpu();
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    for (let first = 0; first < rows; first += writer.chunkRows) {
      await writer.write(make(first, Math.min(writer.chunkRows, rows - first)));
      bar.update(Math.min(first + writer.chunkRows, rows));
    }
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    const machineCpuBusy = busyShare(machineBefore, readMachineCpu());
    return {
      kind,
      sink: sink.name,
      description: writer.method,
      rowsSubmitted: rows,
      rowsVerified: await sink.count(target),
      verifiedBy: sink.countMethod,
      seconds,
      rowsPerSecond: rows / seconds,
      machineCpuBusy,
      // The raw client's own CPU (this process), next to which BatchFlow's producer and consumer CPU per row are read.
      producerCpuSeconds: (cpu.user + cpu.system) / 1e6,
    };
  } finally {
    bar.stop();
    await writer.close();
    await sink.drop(target);
  }
}
