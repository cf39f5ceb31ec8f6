import { Producer, type Schema } from '../../src/index.js';
import type { BenchContext } from '../context.js';
import { pump, PRODUCER_SHAPE } from '../pump.js';
import { makeRows } from '../rows.js';
import type { BenchSink } from '../bench-sinks.js';
import type { ScenarioProducer } from './queue-run.js';

/** How the BatchFlow producer submits: everything as fast as it can (`submitMany` chunks), or a paced stream. */
export type Submitter = (producer: Producer, schema: Schema, target: string) => Promise<void>;

/** A BatchFlow `Producer` for one scenario; packing is `false` or the requests per job. */
export function batchflowProducer(ctx: BenchContext, sink: BenchSink, target: string, prefix: string, packing: number | false, submit: Submitter): ScenarioProducer {
  const schema = sink.schema(target);
  const producer = new Producer({
    connection: ctx.urls.redisUrl,
    schemas: [schema],
    prefix,
    packing: packing === false ? false : { maxRequestsPerJob: packing },
  });
  return { run: () => submit(producer, schema, target), close: () => producer.close() };
}

/** Submits `rows` rows with `submitMany`, in the same chunks as the plain-BullMQ baselines. */
export function submitAll(sink: BenchSink, rows: number): Submitter {
  return (producer, schema, target) =>
    pump(rows, PRODUCER_SHAPE.chunkRows, PRODUCER_SHAPE.inFlight, (first, count) =>
      producer.submitMany(schema, makeRows(first, count).map((row) => sink.toRequestRow(row, target))),
    );
}
