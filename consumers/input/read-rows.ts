import { extname } from 'node:path';
import type { Schema } from '../../src/core/schema.js';
import { CliError } from '../cli-error.js';
import { parseCsv } from './csv.js';

/** Input formats of `batchflow enqueue`. */
export const INPUT_FORMATS = ['json', 'ndjson', 'csv'] as const;
/** One of {@link INPUT_FORMATS}. */
export type InputFormat = (typeof INPUT_FORMATS)[number];

/**
 * A row as read from input, in JSON conventions (to be typed by `jsonToRow`), with where it
 * came from for error messages (`line 7`, `item 3`).
 */
export interface InputRow {
  readonly at: string;
  readonly row: unknown;
}

/** The format implied by a file name (`.json`, `.ndjson`/`.jsonl`, `.csv`), if any. */
export function formatFromFileName(file: string): InputFormat | undefined {
  const ext = extname(file).toLowerCase();
  if (ext === '.json') return 'json';
  if (ext === '.ndjson' || ext === '.jsonl') return 'ndjson';
  if (ext === '.csv') return 'csv';
  return undefined;
}

/**
 * Parses input text into rows in the HTTP ingest's JSON conventions (int64 as number or decimal
 * string, timestamps ISO-8601, bytes base64). CSV has a header row of column names; its text
 * cells are turned into numbers, booleans and nulls per the schema's declared types.
 */
export function readRows(text: string, format: InputFormat, schema: Schema): InputRow[] {
  switch (format) {
    case 'json': {
      const parsed = parseJson(text, 'input');
      const items = Array.isArray(parsed) ? parsed : [parsed];
      return items.map((item, i) => ({ at: `item ${i + 1}`, row: item }));
    }
    case 'ndjson':
      return text.split('\n').flatMap((line, i) => (line.trim() === '' ? [] : [{ at: `line ${i + 1}`, row: parseJson(line, `line ${i + 1}`) }]));
    case 'csv':
      return csvRows(text, schema);
  }
}

function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new CliError(`${where}: not valid JSON (${(err as Error).message.split('\n')[0]})`);
  }
}

function csvRows(text: string, schema: Schema): InputRow[] {
  let records;
  try {
    records = parseCsv(text);
  } catch (err) {
    throw new CliError((err as Error).message);
  }
  const [header, ...body] = records;
  if (!header) return [];
  return body.map(({ line, fields }) => {
    if (fields.length !== header.fields.length) throw new CliError(`line ${line}: ${fields.length} fields, but the header has ${header.fields.length}`);
    const row: Record<string, unknown> = {};
    header.fields.forEach((column, i) => (row[column] = csvCell(schema, column, fields[i] as string, line)));
    return { at: `line ${line}`, row };
  });
}

/** CSV cells are text: read numbers and booleans by the declared type; an empty cell is NULL in a nullable column. */
function csvCell(schema: Schema, column: string, cell: string, line: number): unknown {
  const index = schema.columnIndex.get(column);
  const type = index === undefined ? undefined : schema.types?.[index];
  if (!type) return cell;
  if (cell === '' && type.nullable) return null;
  switch (type.base) {
    case 'int32':
    case 'float64': {
      const n = Number(cell);
      if (cell.trim() === '' || Number.isNaN(n)) throw new CliError(`line ${line}, column "${column}": ${JSON.stringify(cell)} is not a number`);
      return n;
    }
    case 'bool':
      if (/^(true|1)$/i.test(cell)) return true;
      if (/^(false|0)$/i.test(cell)) return false;
      throw new CliError(`line ${line}, column "${column}": ${JSON.stringify(cell)} is not true/false/1/0`);
    default:
      return cell; // int64, timestamp and bytes strings are read by jsonToRow like JSON ones
  }
}
