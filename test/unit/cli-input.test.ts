import { describe, expect, it } from 'vitest';
import { SQLSchema } from '../../src/core/schema.js';
import { CliError } from '../../consumers/cli-error.js';
import { sumBySchema } from '../../consumers/commands/committed-rows.js';
import { parseCsv } from '../../consumers/input/csv.js';
import { formatFromFileName, readRows } from '../../consumers/input/read-rows.js';

const events = SQLSchema('events', 'ignore', { id: 'int64', n: 'int32', x: 'float64', ok: 'bool', note: 'string?' });

describe('CSV parsing', () => {
  it('handles quotes, doubled quotes, embedded commas and line breaks, CRLF and blank lines', () => {
    expect(parseCsv('a,b\r\n"x, y","say ""hi"""\n\n"multi\nline",\n')).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['x, y', 'say "hi"'] },
      { line: 4, fields: ['multi\nline', ''] },
    ]);
    expect(parseCsv('a\n1')).toEqual([{ line: 1, fields: ['a'] }, { line: 2, fields: ['1'] }]);
    expect(() => parseCsv('a\n"open')).toThrow(/line 2: unterminated quoted field/);
  });
});

describe('readRows', () => {
  it('reads CSV cells per declared type; an empty cell is NULL in a nullable column', () => {
    expect(readRows('id,n,x,ok,note\n9007199254740993,7,2.5,true,\n1,0,0,0,hi\n', 'csv', events)).toEqual([
      { at: 'line 2', row: { id: '9007199254740993', n: 7, x: 2.5, ok: true, note: null } },
      { at: 'line 3', row: { id: '1', n: 0, x: 0, ok: false, note: 'hi' } },
    ]);
    expect(() => readRows('id,n,x,ok,note\n1,seven,0,true,\n', 'csv', events)).toThrow(new CliError('line 2, column "n": "seven" is not a number'));
    expect(() => readRows('id,n\n1\n', 'csv', events)).toThrow(/line 2: 1 fields, but the header has 2/);
  });

  it('reads JSON arrays and NDJSON lines, naming the position of bad input', () => {
    expect(readRows('[{"id":1},{"id":2}]', 'json', events).map((r) => r.at)).toEqual(['item 1', 'item 2']);
    expect(readRows('{"id":1}\n\n{"id":2}\n', 'ndjson', events)).toEqual([{ at: 'line 1', row: { id: 1 } }, { at: 'line 3', row: { id: 2 } }]);
    expect(() => readRows('{"id":1}\n{oops\n', 'ndjson', events)).toThrow(/^line 2: not valid JSON/);
  });

  it('picks the format from the extension', () => {
    expect(['a.json', 'b.NDJSON', 'c.jsonl', 'd.csv', 'e.txt'].map(formatFromFileName)).toEqual(['json', 'ndjson', 'ndjson', 'csv', undefined]);
  });
});

describe('sumBySchema', () => {
  it('sums a counter per schema over its other labels', () => {
    const text = [
      '# HELP batchflow_rows_committed_total x',
      'batchflow_rows_committed_total{schema="a",sink="postgres"} 10',
      'batchflow_rows_committed_total{sink="redis",schema="a"} 5',
      'batchflow_rows_committed_total{schema="b",sink="sqlite"} 2.5e3',
      'batchflow_rows_committed_totally{schema="a"} 99',
    ].join('\n');
    expect(Object.fromEntries(sumBySchema(text))).toEqual({ a: 15, b: 2500 });
  });
});
