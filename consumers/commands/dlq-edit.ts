import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Value } from '../../src/core/column-type.js';
import { Request } from '../../src/core/request.js';
import type { Row, Schema } from '../../src/core/schema.js';
import { ValidationError } from '../../src/errors/validation-error.js';
import type { DeadLetterTransform } from '../../src/queue/dead-letter/index.js';
import { CliError } from '../cli-error.js';

/** Commander collector for a repeatable `--set column=value`. */
export function collectAssignment(value: string, previous: readonly string[] = []): string[] {
  return [...previous, value];
}

/**
 * The transform the `--transform` module and the `--set` assignments describe (the module
 * first, then the assignments over its result), or undefined for neither. Assignments are
 * checked against the schema before any entry is read: an unknown column or a value of the
 * wrong type fails at once with a `ValidationError` naming the column.
 */
export async function editTransform(schema: Schema, assignments: readonly string[] = [], modulePath?: string): Promise<DeadLetterTransform | undefined> {
  const set = parseAssignments(schema, assignments);
  const module = modulePath === undefined ? undefined : await loadTransform(modulePath);
  if (!module && set.size === 0) return undefined;
  return async (row, record) => {
    const edited = module ? await module(row, record) : row;
    if (edited === null || set.size === 0) return edited;
    return { ...edited, ...Object.fromEntries(set) } as Row;
  };
}

/** `column=value` pairs, each value read as its column's type and checked. */
export function parseAssignments(schema: Schema, assignments: readonly string[]): Map<string, Value> {
  const values = new Map<string, Value>();
  for (const assignment of assignments) {
    const eq = assignment.indexOf('=');
    if (eq <= 0) throw new CliError(`--set ${JSON.stringify(assignment)}: expected column=value`, 2);
    const column = assignment.slice(0, eq);
    const value = parseColumnValue(schema, column, assignment.slice(eq + 1));
    try {
      // The column exists and the value fits its type.
      values.set(column, new Request(schema).set(column, value).get(column) as Value);
    } catch (err) {
      if (err instanceof ValidationError) throw new CliError(`--set ${assignment}: ${err.message}`, 2);
      throw err;
    }
  }
  return values;
}

/**
 * A command-line value as the column's declared type reads it: `null` is SQL NULL; int64 a
 * bigint; int32 and float64 numbers; bool `true`/`false`/`1`/`0`; timestamp ISO-8601; bytes
 * base64; a string as written (in double quotes, JSON-decoded: `'"null"'` is the text `null`).
 * Untyped columns take JSON (numbers, booleans, quoted strings), else the text as written.
 * A value that cannot be read is passed on as text, so the schema check names the column.
 */
export function parseColumnValue(schema: Schema, column: string, text: string): unknown {
  if (text === 'null') return null;
  const type = schema.types?.[schema.columnIndex.get(column) ?? -1];
  switch (type?.base) {
    case undefined:
      return jsonOr(text);
    case 'string':
      return text.startsWith('"') ? jsonOr(text) : text;
    case 'int64':
      return /^-?\d+$/.test(text) ? BigInt(text) : text;
    case 'int32':
    case 'float64':
      return text.trim() !== '' && Number.isFinite(Number(text)) ? Number(text) : text;
    case 'bool':
      return text === 'true' || text === '1' ? true : text === 'false' || text === '0' ? false : text;
    case 'timestamp': {
      const date = new Date(text);
      return Number.isNaN(date.getTime()) ? text : date;
    }
    case 'bytes':
      return new Uint8Array(Buffer.from(text, 'base64'));
  }
}

function jsonOr(text: string): unknown {
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed !== null && typeof parsed === 'object' ? text : parsed;
  } catch {
    return text;
  }
}

/** The default export of a transform module (a path relative to the working directory). */
export async function loadTransform(path: string): Promise<DeadLetterTransform> {
  let module: { default?: unknown };
  try {
    module = (await import(pathToFileURL(resolve(path)).href)) as { default?: unknown };
  } catch (err) {
    throw new CliError(`--transform ${path}: cannot load it (${(err as Error).message})`, 2);
  }
  if (typeof module.default !== 'function') throw new CliError(`--transform ${path}: its default export must be a function (row) => row | null`, 2);
  return module.default as DeadLetterTransform;
}
