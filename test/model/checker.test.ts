// The checker's own negative controls (pure, no servers): each broken observation is named, and
// what the contract allows passes. The model test's real runs show it bites on real defects.
import { describe, expect, it } from 'vitest';
import { check } from './checker.js';
import { rowValues, type Case, type RowSpec, type RowValues, type Step, type TableSpec } from './model.js';
import type { Observation } from './runner.js';

const W = { flushSize: 4, maxInFlightBatches: 1, flushIntervalMs: 20, maxRowsPerStatement: 1000 };
const row = (key: number, variant = 0, poison: RowSpec['poison'] = null, version = 0): RowSpec => ({ key, variant, poison, version });
const del = (key: number, variant = 0, version = 0): RowSpec => ({ key, variant, poison: null, version, del: true });
const TABLE: TableSpec = { strategy: 'update', versioning: 'none', delivery: 'at-least-once', keyColumn: 'text', partitions: 1 };

function kase(table: Partial<TableSpec>, ...groups: RowSpec[][]): Case {
  const steps: Step[] = [{ t: 'burst', groups }];
  return { dialect: 'postgres', table: { ...TABLE, ...table }, packing: true, workers: [W, W], children: [], steps };
}

/** An observation where everything was acknowledged and quiescence came; rows given as ids (stored whole). */
function seen(c: Case, ids: number[], dead: number[] = [], extra: Partial<Observation> = {}): Observation {
  const specs = c.steps.flatMap((s) => (s.t === 'burst' ? s.groups.flat() : []));
  const stored = (id: number) => {
    const v = rowValues(id, specs[id] as RowSpec, c.table.versioning) as RowValues;
    return { k: v.k, val: v.val, note: v.note, ver: v.ver === undefined ? null : String(v.ver) };
  };
  return {
    acked: new Set(specs.map((_, i) => i)),
    submitErrors: [],
    quiescence: { reached: true, pendingJobs: 0, waitedMs: 1 },
    rows: ids.map(stored),
    deadLetters: dead.map((id) => ({ val: (rowValues(id, specs[id] as RowSpec, c.table.versioning) as RowValues).val, class: 'non_retryable', reason: 'non_retryable', errorCode: '23514' })),
    events: [],
    ...extra,
  };
}

describe('model checker', () => {
  it('last commit wins: any good submit of the key passes; a lost key, a poison row stored, a missing DLQ entry do not', () => {
    const c = kase({}, [row(0), row(0), row(1, 0, 'check')]);
    expect(check(c, seen(c, [0], [2]))).toEqual([]);
    expect(check(c, seen(c, [1], [2]))).toEqual([]);
    expect(check(c, seen(c, [], [2]))).toEqual(['key "a" missing (acknowledged #0 #1)']);
    expect(check(c, seen(c, [1]))).toEqual(['poison #2 (check) is in the DLQ 0 times, expected once']);
    expect(check(c, seen(c, [1], [2, 2]))).toEqual(['poison #2 (check) is in the DLQ 2 times, expected once']);
  });

  it('last submit wins: only the newest version of the key passes, ties allow either', () => {
    const c = kase({ versioning: 'row' }, [row(0, 0, null, 2), row(0, 0, null, 1), row(0, 0, null, 2)]);
    expect(check(c, seen(c, [2]))).toEqual([]);
    expect(check(c, seen(c, [0]))).toEqual([]);
    expect(check(c, seen(c, [1]))).toEqual(['key "a" holds #1, allowed: #0 #2 (the newest)']);
    const stamped = kase({ versioning: 'submit' }, [row(0), row(0)]);
    expect(check(stamped, seen(stamped, [0]))).toEqual(['key "a" holds #0, allowed: #1 (the newest)']);
  });

  it('the database decides key equality: char(n) pads, citext folds case', () => {
    const padded = kase({ keyColumn: 'char' }, [row(0, 0), row(0, 2)]);
    expect(check(padded, seen(padded, [1]))).toEqual([]);
    expect(check(padded, seen(padded, [0, 1]))).toContain('key "a" stored twice');
    const text = kase({ keyColumn: 'text' }, [row(0, 0), row(0, 2)]);
    expect(check(text, seen(text, [1]))).toEqual(['key "a" missing (acknowledged #0)']);
    const caseless = kase({ keyColumn: 'citext' }, [row(0, 1), row(0, 0)]);
    expect(check(caseless, seen(caseless, [0]))).toEqual([]);
  });

  it('a poison row superseded in its batch may be absent from the DLQ, never stored', () => {
    const c = kase({}, [row(0, 0, 'notnull'), row(0)]);
    expect(check(c, seen(c, [1]))).toEqual([]);
    expect(check(c, seen(c, [1], [0]))).toEqual([]);
    const last = kase({}, [row(0), row(0, 0, 'notnull')]);
    expect(check(last, seen(last, [0]))).toEqual(['poison #1 (notnull) is in the DLQ 0 times, expected once']);
  });

  it('exactly-once appends each request once; at-least-once allows repeats, never a loss', () => {
    const once = kase({ strategy: 'insert', delivery: 'exactly-once' }, [row(0), row(1)]);
    expect(check(once, seen(once, [0, 1]))).toEqual([]);
    expect(check(once, seen(once, [0, 1, 1]))).toEqual(['#1 written 2 times with delivery exactly-once']);
    expect(check(once, seen(once, [0]))).toEqual(['#1 lost: acknowledged, not in the table']);
    const least = kase({ strategy: 'insert' }, [row(0), row(1)]);
    expect(check(least, seen(least, [0, 1, 1]))).toEqual([]);
  });

  it('nothing but the poison in the DLQ; a held schema and a PostgreSQL deadlock are failures', () => {
    const c = kase({}, [row(0)]);
    expect(check(c, seen(c, [0], [0]))).toEqual(['#0 dead-lettered but is not poison: non_retryable/non_retryable 23514']);
    const held = seen(c, [], [], { quiescence: { reached: false, why: 'stalled', pendingJobs: 1, waitedMs: 9000 }, events: [{ worker: 'w0', type: 'retry', reason: 'unknown', code: '21000' }] });
    expect(check(c, held)[0]).toMatch(/^held: 1 job\(s\) still pending after 9000 ms \(stalled.*retry unknown\/21000 ×1/);
    const deadlock = seen(c, [0], [], { events: [{ worker: 'w1', type: 'retry', reason: 'deadlock', code: '40P01' }] });
    expect(check(c, deadlock)).toEqual(['deadlock on PostgreSQL: 1 retry (40P01)']);
    expect(check({ ...c, dialect: 'mysql' }, deadlock)).toEqual([]);
  });
  it('deletes: the newest operation per key wins; a deleted key holding a row (resurrected) is named', () => {
    const versioned = kase({ versioning: 'row' }, [row(0, 0, null, 1), del(0, 0, 2), row(1, 0, null, 3), del(1, 0, 1)]);
    expect(check(versioned, seen(versioned, [2]))).toEqual([]);
    expect(check(versioned, seen(versioned, [0, 2]))).toEqual(['key "a" holds #0 but is deleted (its deciding operation is a delete): resurrected or delete lost']);
    expect(check(versioned, seen(versioned, []))).toEqual(['key "b" missing (acknowledged #2)']);
    // A tie between an upsert and a delete leaves either.
    const tie = kase({ versioning: 'row' }, [row(0, 0, null, 2), del(0, 0, 2)]);
    expect(check(tie, seen(tie, [0]))).toEqual([]);
    expect(check(tie, seen(tie, []))).toEqual([]);
    // Deletes by the database's key: 'A' deletes 'a' on a citext key.
    const folded = kase({ versioning: 'submit', keyColumn: 'citext' }, [row(0), del(0, 1)]);
    expect(check(folded, seen(folded, []))).toEqual([]);
    expect(check(folded, seen(folded, [0]))).toHaveLength(1);
  });

  it('deletes without a version: any operation since the last settle may decide the key; a settled delete is final', () => {
    const c: Case = { ...kase({}), steps: [{ t: 'burst', groups: [[row(0)]] }, { t: 'settle' }, { t: 'burst', groups: [[del(0)]] }] };
    expect(check(c, seen(c, []))).toEqual([]);
    expect(check(c, seen(c, [0]))).toEqual(['key "a" holds #0 but is deleted (its deciding operation is a delete): resurrected or delete lost']);
    const racing = kase({}, [row(0)], [del(0)]);
    expect(check(racing, seen(racing, []))).toEqual([]);
    expect(check(racing, seen(racing, [0]))).toEqual([]);
  });
});
