import type { Value } from '../../src/core/column-type.js';
import type { Request } from '../../src/core/request.js';
import { isSQLSchema, type Schema, type SQLSchema } from '../../src/core/schema.js';
import { buildMySqlInsert } from '../../src/drivers/mysql/statement-builder.js';
import { buildMySqlDelete } from '../../src/drivers/mysql/delete-keys.js';
import { buildDeleteWhere, deleteColumnIndexes } from '../../src/drivers/sql/delete-rows.js';
import { buildPostgresDelete, buildPostgresInsert, POSTGRES_ELEMENT_TYPES } from '../../src/drivers/postgres/statement-builder.js';
import { buildCommand, DEFAULT_REDIS_ALLOWLIST, type RedisArg } from '../../src/drivers/redis/command-builder.js';
import type { SinkConfig } from '../../src/drivers/sink-definition.js';
import { toColumns } from '../../src/drivers/sql/batch-rows.js';
import { buildSqliteInsert } from '../../src/drivers/sqlite/statement-builder.js';
import type { ReplayDecision } from '../../src/queue/dead-letter/index.js';

/** Rows per previewed statement (a worker batches replayed rows with whatever else is queued). */
export const PREVIEW_ROWS_PER_STATEMENT = 100;
/** Longest value printed in full; longer ones are cut with their length noted. */
export const PREVIEW_MAX_VALUE_CHARS = 64;
/** Column names whose values are masked (`***`). */
const SECRET_COLUMN = /pass(word)?|secret|token|api[_-]?key|private[_-]?key|credential|auth/i;

/** Prints what a replay would run, for `dlq replay --dry-run --sql`. */
export interface SqlPreview {
  add(decision: ReplayDecision): Promise<void>;
  /** Prints the statement of the rows still held. */
  end(): Promise<void>;
}

type Write = (line: string) => Promise<void>;
type Pending = { readonly id: string; readonly request: Request };

/**
 * A preview through the statement builder of the schema's sink (PostgreSQL, MySQL/MariaDB,
 * SQLite): each statement with its bound values, secrets masked and long values cut; for the
 * Redis sink, each command. Other sinks print the rows they would be given. Entries the replay
 * would drop, refuse or pass on as raw job data are noted as comments.
 */
export function createSqlPreview(schema: Schema, sink: SinkConfig, write: Write): SqlPreview {
  const statement = statementPrinter(schema, sink, write);
  let pending: Pending[] = [];
  const flush = async () => {
    if (pending.length === 0) return;
    const rows = pending;
    pending = [];
    // A worker runs a batch's deletes first, in their own statement (see splitOperations).
    const deletes = rows.filter((row) => row.request.isDelete);
    if (deletes.length > 0) await printDeletes(schema, sink, deletes, write);
    const upserts = rows.filter((row) => !row.request.isDelete);
    if (upserts.length > 0) await statement(upserts);
  };
  return {
    async add(decision) {
      if (decision.action === 'drop') return write(`-- ${decision.id}: dropped by the transform (removed, not replayed)`);
      if (decision.action === 'refuse') return write(`-- ${decision.id}: refused, stays in the DLQ: ${decision.error.message}`);
      if (decision.action === 'stale') return write(`-- ${decision.id}: stale, stays in the DLQ: no version in column ${decision.column}, so the version guard would skip it`);
      if (!decision.request) return write(`-- ${decision.id}: raw job data (class ${decision.entry.class}), replayed as stored; no statement until a consumer can decode it`);
      pending.push({ id: decision.id, request: decision.request });
      if (pending.length >= PREVIEW_ROWS_PER_STATEMENT) await flush();
    },
    end: flush,
  };
}

function statementPrinter(schema: Schema, sink: SinkConfig, write: Write): (rows: readonly Pending[]) => Promise<void> {
  const sql = isSQLSchema(schema) ? schema : undefined;
  switch (sink.type) {
    case 'postgres':
      if (sql) return (rows) => printPostgres(sql, rows, write);
      break;
    case 'mysql':
      if (sql) return (rows) => printMySql(sql, rows, write);
      break;
    case 'sqlite':
      if (sql) return (rows) => printSqlite(sql, rows, write);
      break;
    case 'redis': {
      const allowlist = new Set(((sink as { allowlist?: readonly string[] }).allowlist ?? DEFAULT_REDIS_ALLOWLIST).map((name) => name.toUpperCase()));
      return (rows) => printRedis(schema, rows, allowlist, write);
    }
  }
  return async (rows) => {
    await write(`-- sink type "${sink.type}" has no statement preview; the rows it would be given:`);
    for (const { id, request } of rows) await write(`${rowTuple(schema, request.values)}  -- ${id}`);
  };
}

async function printPostgres(schema: SQLSchema, rows: readonly Pending[], write: Write): Promise<void> {
  const types = schema.types?.map((type) => POSTGRES_ELEMENT_TYPES[type.base]) ?? schema.columns.map((column) => `<catalog type of ${column}>`);
  await write(`-- postgres, ${rows.length} row${rows.length === 1 ? '' : 's'} (${ids(rows)})${schema.types ? '' : '; untyped schema: the worker reads each element type from the table catalog'}`);
  await write(`${buildPostgresInsert(schema, types)};`);
  const columns = toColumns(rows.map((row) => row.request.values), schema.columns.length);
  for (const [c, column] of schema.columns.entries()) await write(`--   $${c + 1} (${column}) = [${(columns[c] ?? []).map((v) => formatValue(column, v)).join(', ')}]`);
}

async function printMySql(schema: SQLSchema, rows: readonly Pending[], write: Write): Promise<void> {
  await write(`-- mysql, ${rows.length} row${rows.length === 1 ? '' : 's'}; if the table has a unique index besides the keys, the worker merges on the keys instead (SELECT … FOR UPDATE, INSERT, UPDATE)`);
  await write(`${buildMySqlInsert(schema)};`);
  await write('--   ? = the rows:');
  for (const { id, request } of rows) await write(`--     ${rowTuple(schema, request.values)}  -- ${id}`);
}

async function printSqlite(schema: SQLSchema, rows: readonly Pending[], write: Write): Promise<void> {
  await write(`-- sqlite, ${rows.length} row${rows.length === 1 ? '' : 's'}`);
  await write(`${buildSqliteInsert(schema, rows.length)};`);
  await write(`--   bound in order, ${schema.columns.length} per row:`);
  for (const { id, request } of rows) await write(`--     ${rowTuple(schema, request.values)}  -- ${id}`);
}

/** The delete statement of the sink's dialect, with each delete's key (and version). */
async function printDeletes(schema: Schema, sink: SinkConfig, rows: readonly Pending[], write: Write): Promise<void> {
  if (!isSQLSchema(schema)) return;
  const indexes = deleteColumnIndexes(schema);
  const text =
    sink.type === 'postgres'
      ? buildPostgresDelete(schema, schema.types?.map((type) => POSTGRES_ELEMENT_TYPES[type.base]) ?? schema.columns.map((column) => `<catalog type of ${column}>`))
      : sink.type === 'mysql'
        ? buildMySqlDelete(schema, rows.length)
        : buildDeleteWhere(schema, '"', 1);
  await write(`-- ${sink.type}, ${rows.length} delete${rows.length === 1 ? '' : 's'} by key (${ids(rows)})${schema.tombstones ? ', each recorded as a tombstone' : ''}`);
  await write(`${text};`);
  await write(`--   bound per delete: ${indexes.map((index) => schema.columns[index]).join(', ')}`);
  for (const { id, request } of rows) await write(`--     DELETE (${indexes.map((index) => formatValue(schema.columns[index] ?? '', request.values[index] ?? null)).join(', ')})  -- ${id}`);
}

async function printRedis(schema: Schema, rows: readonly Pending[], allowlist: ReadonlySet<string>, write: Write): Promise<void> {
  await write(`-- redis, ${rows.length} command${rows.length === 1 ? '' : 's'}`);
  for (const { id, request } of rows) {
    try {
      const { name, args } = buildCommand(request, allowlist);
      await write(`${[name, ...args.map((arg, i) => formatArg(schema.columns[i + 1] ?? '', arg))].join(' ')}  -- ${id}`);
    } catch (err) {
      await write(`-- ${id}: would fail: ${(err as Error).message}`);
    }
  }
}

function ids(rows: readonly Pending[]): string {
  const shown = rows.slice(0, 3).map((row) => row.id).join(', ');
  return rows.length > 3 ? `${shown}, …` : shown;
}

function rowTuple(schema: Schema, values: readonly Value[]): string {
  return `(${values.map((value, i) => formatValue(schema.columns[i] ?? '', value)).join(', ')})`;
}

/** A bound value as SQL-ish text: masked for secret-looking columns, cut when long. */
export function formatValue(column: string, value: Value): string {
  if (value === null) return 'NULL';
  if (SECRET_COLUMN.test(column)) return "'***'";
  if (typeof value === 'string') return `'${cut(maskUrlPasswords(value)).replace(/'/g, "''")}'`;
  if (value instanceof Date) return `'${value.toISOString()}'`;
  if (value instanceof Uint8Array) return bytes(value);
  return String(value);
}

function formatArg(column: string, arg: RedisArg): string {
  if (SECRET_COLUMN.test(column)) return '"***"';
  return typeof arg === 'string' ? JSON.stringify(cut(maskUrlPasswords(arg))) : bytes(arg);
}

function bytes(value: Uint8Array): string {
  const hex = Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex');
  return hex.length <= PREVIEW_MAX_VALUE_CHARS ? `'\\x${hex}'` : `'\\x${hex.slice(0, PREVIEW_MAX_VALUE_CHARS)}…' (${value.byteLength} bytes)`;
}

function cut(text: string): string {
  return text.length <= PREVIEW_MAX_VALUE_CHARS ? text : `${text.slice(0, PREVIEW_MAX_VALUE_CHARS)}…(${text.length} chars)`;
}

/** `scheme://user:secret@host` inside a value becomes `scheme://user:***@host`. */
function maskUrlPasswords(text: string): string {
  return text.replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:)[^\s@/]+@/gi, '$1***@');
}
