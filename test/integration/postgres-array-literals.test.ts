// PostgreSQL array literals (`postgresArrayLiterals`, issue 21) against node-postgres' own binding
// of JS arrays, on a real server: generated rows (fast-check) are inserted both ways with the
// driver's own statement into two tables of every column type the conformance suites use
// (int4, int8, float8, text, bool, timestamptz, bytea; and a declared `string` into timestamp,
// varchar, char(n), citext, numeric, uuid, json, jsonb and an enum), and the two tables must read
// back equal, as text, or both fail with the same SQLSTATE. Strings lean on what an array literal
// must escape or quote ('NULL', '', quotes, backslashes, commas, braces, spaces, unicode).
import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Value } from '../../src/core/column-type.js';
import type { SQLSchema as SQLSchemaType } from '../../src/core/schema.js';
import { postgresArrayLiterals } from '../../src/drivers/postgres/array-literal.js';
import { buildPostgresInsert, elementTypeForCatalogType, POSTGRES_COLUMN_TYPES_SQL } from '../../src/drivers/postgres/statement-builder.js';
import { toColumns } from '../../src/drivers/sql/batch-rows.js';
import { columnDatesAsText, postgresUtcText } from '../../src/drivers/sql/utc-time-text.js';
import { Request, SQLSchema, type ColumnType } from '../../src/index.js';
import { PG_URL, uniqueTable } from '../helpers/pg.js';

const RUNS = Number(process.env.ARRAY_LITERAL_RUNS ?? 60);

/** Pieces an array literal must quote or escape, and look-alikes of its NULL. */
const TRICKY = ['NULL', 'null', 'Null', '', ' ', '  a ', '"', '""', '\\', '\\\\', '\\"', ',', '{', '}', '{}', '{"a"}', '{1,2}', "'", 'a,b', '\t', '\n', '\r\n', 'é', '☃', '😀', 'ß', '\\x00', 'NaN', '[1,2]'];

/** Strings made of tricky pieces and arbitrary unicode (no NUL: text refuses it on either path alike). */
const text = fc
  .array(fc.oneof(fc.constantFrom(...TRICKY), fc.string({ unit: 'grapheme', maxLength: 8 }), fc.string({ unit: 'binary', maxLength: 8 })), { maxLength: 6 })
  .map((pieces) => pieces.join('').replaceAll('\u0000', ''));

const nullable = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | null> => fc.option(arb, { nil: null, freq: 5 });

/** Instants over timestamptz's range (4713 BC to 294276 AD) and JavaScript's, with same-instant runs. */
const instant = fc.oneof(
  fc.date({ min: new Date(Date.UTC(-4712, 0, 1)), max: new Date(8_640_000_000_000_000), noInvalidDate: true }),
  fc.date({ min: new Date(Date.UTC(1900, 0, 1)), max: new Date(Date.UTC(2100, 0, 1)), noInvalidDate: true }),
  fc.constantFrom(new Date(0), new Date(Date.UTC(0, 0, 1)), new Date(Date.UTC(1, 0, 1)), new Date('2024-02-29T23:59:59.999Z')),
);

/** Byte strings as Buffers and as plain Uint8Arrays, whole and as views into a larger buffer. */
const bytes = fc.oneof(
  fc.uint8Array({ maxLength: 40 }),
  fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b)),
  fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 40 }), fc.nat(10)).map(([b, cut]) => b.subarray(Math.min(cut, b.length))),
);

const decimal = fc
  .tuple(fc.bigInt({ min: -(10n ** 25n), max: 10n ** 25n }), fc.nat(12), fc.boolean())
  .map(([digits, scale, exponent]) => (exponent ? `${digits}e-${scale}` : `${digits / 10n ** BigInt(scale)}.${(digits < 0n ? -digits : digits) % 10n ** BigInt(scale)}`));

/** One table column: its SQL type, declared type and generated values. */
interface Column {
  readonly name: string;
  readonly sql: string;
  readonly type: ColumnType;
  readonly values: fc.Arbitrary<unknown>;
}

const COLUMNS: readonly Column[] = [
  { name: 'i32', sql: 'integer', type: 'int32?', values: nullable(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })) },
  { name: 'i64', sql: 'bigint', type: 'int64?', values: nullable(fc.oneof(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), fc.maxSafeInteger())) },
  // Requests refuse NaN and ±Infinity; the encoder is given them here anyway (float8 takes both spellings).
  { name: 'f64', sql: 'double precision', type: 'float64?', values: nullable(fc.oneof(fc.double(), fc.constantFrom(-0, 5e-324, Number.MAX_VALUE, 0.1, 1e21, 1e-7))) },
  { name: 's', sql: 'text', type: 'string?', values: nullable(text) },
  { name: 'b', sql: 'boolean', type: 'bool?', values: nullable(fc.boolean()) },
  { name: 'tz', sql: 'timestamptz', type: 'timestamp?', values: nullable(instant) },
  { name: 'ts', sql: 'timestamp', type: 'timestamp?', values: nullable(instant) },
  { name: 'by', sql: 'bytea', type: 'bytes?', values: nullable(bytes) },
  { name: 'vc', sql: 'varchar(60)', type: 'string?', values: nullable(text) },
  { name: 'ch', sql: 'char(4)', type: 'string?', values: nullable(fc.constantFrom('', 'a', 'a ', ' b', 'NULL', '"', '\\', 'é☃', '{,}')) },
  { name: 'ci', sql: 'citext', type: 'string?', values: nullable(text) },
  { name: 'num', sql: 'numeric', type: 'string?', values: nullable(fc.oneof(decimal, fc.constantFrom('NaN', '0', '-0.000', '1e3', 'Infinity'))) },
  { name: 'id', sql: 'uuid', type: 'string?', values: nullable(fc.uuid().chain((u) => fc.constantFrom(u, u.toUpperCase(), `{${u}}`))) },
  { name: 'js', sql: 'json', type: 'string?', values: nullable(fc.json({ noUnicodeString: false })) },
  { name: 'jb', sql: 'jsonb', type: 'string?', values: nullable(fc.json({ noUnicodeString: false }).map((j) => j.replaceAll('\\u0000', ''))) },
  { name: 'en', sql: '$ENUM', type: 'string?', values: nullable(fc.constantFrom('sad', 'happy', 'NULL', 'wäre "so"')) },
];

/** Any request value, for an untyped schema's text columns. */
const anyValue = nullable(fc.oneof(text, fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.bigInt(), fc.boolean(), instant, bytes));

let client: pg.Client;
const dropped: string[] = [];
let enumType: string;
beforeAll(async () => {
  client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  await client.query('CREATE EXTENSION IF NOT EXISTS citext');
  enumType = uniqueTable('bf_enum');
  await client.query(`CREATE TYPE ${enumType} AS ENUM ('sad', 'happy', 'NULL', 'wäre "so"')`);
});
afterAll(async () => {
  for (const table of dropped) await client.query(`DROP TABLE IF EXISTS ${table}`);
  await client.query(`DROP TYPE IF EXISTS ${enumType}`);
  await client.end();
});

/** Two fresh tables of `columns` (after a `n` serial) and the driver's insert statement for each. */
async function tablePair(label: string, columns: readonly (readonly [name: string, sql: string])[], schemaOf: (table: string) => SQLSchemaType) {
  const pair = [uniqueTable(`${label}_lit`), uniqueTable(`${label}_arr`)] as const;
  const statements: string[] = [];
  for (const table of pair) {
    dropped.push(table);
    await client.query(`CREATE TABLE ${table} (n serial PRIMARY KEY, ${columns.map(([name, sql]) => `${name} ${sql.replace('$ENUM', enumType)}`).join(', ')})`);
    const catalog = (await client.query<{ name: string; type: string }>(POSTGRES_COLUMN_TYPES_SQL, [table])).rows;
    const types = new Map(catalog.map((row) => [row.name, elementTypeForCatalogType(row.type)]));
    const schema = schemaOf(table);
    statements.push(buildPostgresInsert(schema, schema.columns.map((name) => types.get(name) as string)));
  }
  const [literalTable, arrayTable] = pair;
  const [literalInsert, arrayInsert] = statements as [string, string];
  const select = (table: string) => `SELECT ${columns.map(([name]) => `${name}::text`).join(', ')} FROM ${table} ORDER BY n`;

  /** Inserts `rows` both ways and returns each table's rows as text, or the SQLSTATE of the failure. */
  return async (schema: SQLSchemaType, rows: readonly (readonly Value[])[]) => {
    await client.query(`TRUNCATE ${literalTable}, ${arrayTable} RESTART IDENTITY`);
    const outcome = async (table: string, insert: string, params: unknown[]) => {
      try {
        await client.query(insert, params);
      } catch (err) {
        return { error: (err as { code?: string }).code };
      }
      return { rows: (await client.query({ text: select(table), rowMode: 'array' })).rows };
    };
    // The old path: our column split and date text, then node-postgres' own array conversion.
    const arrays = columnDatesAsText(schema, toColumns(rows, schema.columns.length), postgresUtcText);
    return {
      literals: await outcome(literalTable, literalInsert, postgresArrayLiterals(schema, rows)),
      arrays: await outcome(arrayTable, arrayInsert, arrays),
    };
  };
}

describe('PostgreSQL array literals', () => {
  it('declared columns of every type: the rows read back as node-postgres’ own arrays write them, and strings, bytes, numbers and nulls exactly', async () => {
    const roundTrip = await tablePair('bf_lit', COLUMNS.map((c) => [c.name, c.sql]), (table) =>
      SQLSchema(table, 'insert', Object.fromEntries(COLUMNS.map((c) => [c.name, c.type]))),
    );
    const schemaFor = (table: string) => SQLSchema(table, 'insert', Object.fromEntries(COLUMNS.map((c) => [c.name, c.type])));
    const row = fc.tuple(...COLUMNS.map((c) => c.values));
    let written = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(row, { minLength: 1, maxLength: 12 }), fc.nat(), async (rows, split) => {
        // Rows as the driver holds them (a chunk's range of a longer list, so start > 0 is covered too).
        const values = rows as unknown as Value[][];
        const schema = schemaFor('t');
        const cut = split % values.length;
        expect(postgresArrayLiterals(schema, values, cut, values.length)).toEqual(postgresArrayLiterals(schema, values.slice(cut)));
        const { literals, arrays } = await roundTrip(schema, values);
        expect(literals).toEqual(arrays);
        if (!literals.rows) return;
        written++;
        // Independently of node-postgres: text, bytes, integers and nulls read back as given.
        const index = (name: string) => COLUMNS.findIndex((c) => c.name === name);
        literals.rows.forEach((read: (string | null)[], r: number) => {
          const given = values[r] as Value[];
          expect(read[index('s')]).toBe(given[index('s')]);
          expect(read[index('vc')]).toBe(given[index('vc')]);
          const by = given[index('by')] as Uint8Array | null;
          expect(read[index('by')]).toBe(by === null ? null : `\\x${Buffer.from(by).toString('hex')}`);
          const i64 = given[index('i64')];
          expect(read[index('i64')]).toBe(i64 === null ? null : String(i64));
          const tz = given[index('tz')] as Date | null;
          if (tz && tz.getUTCFullYear() > 0 && tz.getUTCFullYear() < 10_000) {
            expect(new Date((read[index('tz')] as string).replace(' ', 'T').replace(/\+00$/, 'Z')).getTime()).toBe(tz.getTime());
          }
        });
      }),
      { numRuns: RUNS },
    );
    // Most cases must write (a property that only compares two failures proves little).
    expect(written).toBeGreaterThan(RUNS / 2);
  }, 120_000);

  it('untyped (seed-style) columns: any request value into text columns reads back as node-postgres’ own arrays write it', async () => {
    const names = ['a', 'b', 'c', 'd'];
    const roundTrip = await tablePair('bf_lit_any', names.map((name) => [name, 'text']), (table) => SQLSchema(table, 'insert', names));
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(anyValue, anyValue, anyValue, anyValue), { minLength: 1, maxLength: 12 }), async (rows) => {
        const schema = SQLSchema('t', 'insert', names);
        const values = rows.map((row) => Request.fromRow(schema, Object.fromEntries(names.map((name, i) => [name, row[i] ?? null]))).values);
        const { literals, arrays } = await roundTrip(schema, values);
        expect(literals).toEqual(arrays);
        expect(literals.rows).toBeDefined();
      }),
      { numRuns: RUNS },
    );
  }, 120_000);

  it('an empty range is an empty array; NULL and the string "NULL" stay apart', () => {
    const schema = SQLSchema('t', 'insert', { s: 'string?', n: 'int64?' });
    expect(postgresArrayLiterals(schema, [], 0, 0)).toEqual(['{}', '{}']);
    expect(postgresArrayLiterals(schema, [['NULL', null], [null, 1n], ['', -0], ['a"b\\c', 2]])).toEqual(['{"NULL",NULL,"","a\\"b\\\\c"}', '{NULL,1,0,2}']);
  });
});
