// Microbench of the PostgreSQL insert's parameter encoding (issue 21): the old path (our column
// split and date rewrite, then node-postgres' own `prepareValue` on each JS array) against
// `postgresArrayLiterals`, in one process, alternating, on the bench's five-column rows and the
// wide scenario's twenty-column rows. Each round also writes every parameter into a buffer, as
// the client's serializer does, so a cost moved there (e.g. flattening a string) is counted.
//
//   npm run build --silent && node dist/bench/encode-microbench.js [--rows 5000] [--rounds 15]
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import type { Value } from '../src/core/column-type.js';
import { postgresArrayLiterals } from '../src/drivers/postgres/array-literal.js';
import { toColumns } from '../src/drivers/sql/batch-rows.js';
import { columnDatesAsText, postgresUtcText } from '../src/drivers/sql/utc-time-text.js';
import { Request, SQLSchema, type Row, type Schema } from '../src/index.js';
import type { SQLSchema as SQLSchemaType } from '../src/core/schema.js';
import { makeRows } from './rows.js';
import { BENCH_COLUMNS } from './sinks/bench-sink.js';
import { makeWideRows, wideSchema } from './wide-rows.js';

const { prepareValue } = createRequire(import.meta.url)('pg/lib/utils.js') as { prepareValue: (value: unknown) => unknown };

const { values: args } = parseArgs({ options: { rows: { type: 'string', default: '5000' }, rounds: { type: 'string', default: '15' } } });
const ROWS = Number(args.rows);
const ROUNDS = Number(args.rounds);

/** Writes each parameter as the client's serializer does (byte length, then UTF-8 into a buffer). */
function serialize(params: readonly unknown[]): number {
  let bytes = 0;
  for (const param of params) {
    const text = param as string;
    const length = Buffer.byteLength(text);
    const buffer = Buffer.allocUnsafe(length);
    bytes += buffer.write(text);
  }
  return bytes;
}

const oldSplit = (schema: SQLSchemaType, rows: readonly (readonly Value[])[]) => toColumns(rows.slice(0), schema.columns.length);
const oldParams = (schema: SQLSchemaType, rows: readonly (readonly Value[])[]) =>
  columnDatesAsText(schema, toColumns(rows.slice(0), schema.columns.length), postgresUtcText).map((column) => prepareValue(column));
const newParams = (schema: SQLSchemaType, rows: readonly (readonly Value[])[]) => postgresArrayLiterals(schema, rows, 0, rows.length);

/** The elements of a one-dimensional array literal, as PostgreSQL's array parser reads them (null for NULL). */
function elements(literal: string): (string | null)[] {
  const out: (string | null)[] = [];
  let i = 1;
  while (i < literal.length - 1) {
    if (literal[i] === '"') {
      let text = '';
      for (i++; literal[i] !== '"'; i++) text += literal[i] === '\\' ? literal[++i] : literal[i];
      out.push(text);
      i += 2;
    } else {
      const stop = literal.indexOf(',', i) === -1 ? literal.length - 1 : literal.indexOf(',', i);
      const text = literal.slice(i, stop).replace(/\\(.)/g, '$1');
      out.push(text === 'NULL' ? null : text);
      i = stop + 1;
    }
  }
  return out;
}

/** Median of `ROUNDS` timings (µs per row) of `run`, after a warm-up. */
function time(run: () => unknown): number {
  for (let i = 0; i < 5; i++) run();
  const samples: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const t0 = process.hrtime.bigint();
    run();
    samples.push(Number(process.hrtime.bigint() - t0) / 1000 / ROWS);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)] as number;
}

function shape(name: string, schema: Schema, rows: readonly Row[]): void {
  const sql = schema as SQLSchemaType;
  const values = rows.map((row) => Request.fromRow(schema, row).values);
  const before = oldParams(sql, values);
  const after = newParams(sql, values);
  // Numbers differ in spelling only (node-postgres quotes every element): compare the parsed elements.
  if (JSON.stringify(before.map((p) => elements(p as string))) !== JSON.stringify(after.map(elements))) throw new Error(`${name}: the two encodings differ`);
  const split = time(() => oldSplit(sql, values));
  const dates = time(() => columnDatesAsText(sql, toColumns(values, sql.columns.length), postgresUtcText)) - split;
  // Alternate old and new three times, so a load swing hits both.
  const pairs: [number, number][] = [];
  for (let i = 0; i < 3; i++) pairs.push([time(() => serialize(oldParams(sql, values))), time(() => serialize(newParams(sql, values)))]);
  const encodeOld = time(() => oldParams(sql, values));
  const encodeNew = time(() => newParams(sql, values));
  const fmt = (n: number) => n.toFixed(3);
  console.log(`${name}: ${ROWS} rows, ${sql.columns.length} columns, ${serialize(after)} parameter bytes`);
  console.log(`  old: toColumns ${fmt(split)} µs/row, dates ${fmt(dates)}, + prepareValue = ${fmt(encodeOld)} µs/row`);
  console.log(`  new: postgresArrayLiterals ${fmt(encodeNew)} µs/row (${(encodeOld / encodeNew).toFixed(2)}× faster)`);
  for (const [o, n] of pairs) console.log(`  with serialize: old ${fmt(o)} µs/row, new ${fmt(n)} µs/row, old/new ${(o / n).toFixed(2)}×`);
}

shape('bench (5 columns)', SQLSchema('bench_encode', 'ignore', BENCH_COLUMNS), makeRows(1, ROWS) as unknown as Row[]);
shape('wide (20 columns)', wideSchema('wide_encode'), makeWideRows(1, ROWS) as unknown as Row[]);
