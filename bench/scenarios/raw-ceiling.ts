import { scenarioNames, type BenchContext } from '../context.js';
import { busyShare, readMachineCpu } from '../machine-cpu.js';
import { scenarioProgress } from '../progress.js';
import type { ScenarioResult } from '../result.js';
import { makeRows } from '../rows.js';
import type { BenchSink } from '../bench-sinks.js';

/** (c) The database's ceiling: the fastest bulk write we know for it, straight from this process, no queue. */
export async function runRawCeiling(ctx: BenchContext, sink: BenchSink): Promise<ScenarioResult> {
  const rows = ctx.options.rows;
  const { target } = scenarioNames(ctx, sink.name, 'raw');
  const bar = scenarioProgress(`${sink.name} raw`, rows);
  await sink.create(target);
  const writer = sink.rawWriter(target);
  try {
    const machineBefore = readMachineCpu();
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    for (let first = 0; first < rows; first += writer.chunkRows) {
      await writer.write(makeRows(first, Math.min(writer.chunkRows, rows - first)));
      bar.update(Math.min(first + writer.chunkRows, rows));
    }
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    const machineCpuBusy = busyShare(machineBefore, readMachineCpu());
    return {
      kind: 'raw',
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
