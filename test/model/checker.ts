// The checker: compares what a run observed with what the model allows, Jepsen-style, and names
// every violation. Pure.
import { canonicalKey, expectation, idOfVal, submitsOf, type Case, type Expectation } from './model.js';
import type { Observation } from './runner.js';
import type { WorkerEvent } from './workers.js';

/** Known defects the checker tolerates until fixed (each switchable, see the test file). */
export interface CheckerAllowances {
  /**
   * PostgreSQL deadlock retries in unversioned cases with deletes. A batch writes its deletes in
   * one key-ordered pass and then its upserts in another, so against a concurrent batch its locks
   * are not in one total order (docs/model-test.md, "Deletes"). Retried, so the outcome is right;
   * each costs `deadlock_timeout`. Versioned cases keep tombstones, whose per-key advisory locks
   * order every batch, and are held to no deadlock.
   */
  readonly deleteDeadlocks: boolean;
}

/** Every way the observation breaks the contract; empty when it holds. */
export function check(c: Case, o: Observation, allow: CheckerAllowances = { deleteDeadlocks: false }): string[] {
  const violations: string[] = [];
  const add = (text: string) => violations.push(text);
  for (const error of o.submitErrors) add(error);
  if (!o.quiescence.reached) {
    const what = o.quiescence.why === 'stalled' ? 'stalled: no commit or dead-lettering for the stall bound' : 'not quiescent by the deadline';
    add(`held: ${o.quiescence.pendingJobs} job(s) still pending after ${o.quiescence.waitedMs} ms (${what}); workers said: ${summarize(o.events) || 'nothing'}`);
  }
  // Key order (DESIGN.md "Key order and key equality"): on PostgreSQL every worker locks keys in one
  // order, so concurrent batches wait instead of deadlocking (each deadlock costs deadlock_timeout).
  const deadlocks = o.events.filter((e) => e.type === 'retry' && e.reason === 'deadlock');
  const tolerated = allow.deleteDeadlocks && c.table.versioning === 'none' && submitsOf(c).some((s) => s.spec.del);
  if (c.dialect === 'postgres' && deadlocks.length > 0 && !tolerated) add(`deadlock on PostgreSQL: ${deadlocks.length} retr${deadlocks.length === 1 ? 'y' : 'ies'} (${codes(deadlocks)})`);

  const expected = expectation(c, o.acked);
  const submits = new Map(submitsOf(c).map((s) => [s.id, s]));
  if (c.table.strategy === 'insert') checkAppended(o, expected.appended, expected.exactlyOnce, submits, add);
  else checkKeyed(c, o, expected, submits, add);

  // The DLQ holds exactly the acknowledged poison, each once, as data errors.
  const dead = new Map<number, number>();
  for (const entry of o.deadLetters) {
    if (entry.val === null) {
      add(`DLQ entry without a request id: ${entry.class}/${entry.reason} ${entry.errorCode ?? ''}`);
      continue;
    }
    const id = idOfVal(entry.val);
    dead.set(id, (dead.get(id) ?? 0) + 1);
    if (!expected.deadLettered.has(id)) add(`#${id} dead-lettered but is not poison: ${entry.class}/${entry.reason} ${entry.errorCode ?? ''}`);
    else if (entry.class !== 'non_retryable') add(`poison #${id} dead-lettered as ${entry.class}/${entry.reason}, not as a data error`);
  }
  for (const id of expected.deadLettered) {
    const n = dead.get(id) ?? 0;
    if (n === 0 && expected.mayBeSuperseded.has(id)) continue;
    if (n !== 1) add(`poison #${id} (${submits.get(id)?.spec.poison}) is in the DLQ ${n} times, expected once`);
  }
  return violations;
}

type Submits = ReadonlyMap<number, ReturnType<typeof submitsOf>[number]>;

/**
 * Keyed tables: one row per database key that has a good acknowledged submit, and it is an allowed
 * submit, whole; a key whose deciding operation is a delete is absent (a row there is resurrected
 * or a delete was lost), and may be absent where a delete may decide it.
 */
function checkKeyed(c: Case, o: Observation, expected: Pick<Expectation, 'allowed' | 'mayBeAbsent'>, submits: Submits, add: (text: string) => void): void {
  const { allowed, mayBeAbsent } = expected;
  const seen = new Set<string>();
  for (const row of o.rows) {
    const key = canonicalKey(c.table.keyColumn, row.k);
    if (seen.has(key)) add(`key ${JSON.stringify(key)} stored twice`);
    seen.add(key);
    const id = idOfVal(row.val);
    const ids = allowed.get(key);
    if (!ids) {
      add(`row ${JSON.stringify(row)}: key ${JSON.stringify(key)} has no acknowledged good submit`);
      continue;
    }
    if (ids.size === 0) {
      add(`key ${JSON.stringify(key)} holds #${id} but is deleted (its deciding operation is a delete): resurrected or delete lost`);
      continue;
    }
    if (!ids.has(id)) {
      add(`key ${JSON.stringify(key)} holds #${id}, allowed: ${[...ids].map((i) => `#${i}`).join(' ')}${c.table.versioning === 'none' ? '' : ' (the newest)'}`);
      continue;
    }
    const s = submits.get(id);
    const whole = s && !s.spec.del && 'note' in s.values && canonicalKey(c.table.keyColumn, s.values.k) === key && s.values.note === row.note && (s.values.ver === undefined || String(s.values.ver) === row.ver);
    if (!whole) add(`key ${JSON.stringify(key)} holds a row that is no submit whole: ${JSON.stringify(row)}`);
  }
  for (const key of allowed.keys()) if (!seen.has(key) && !mayBeAbsent.has(key)) add(`key ${JSON.stringify(key)} missing (acknowledged #${[...(allowed.get(key) ?? [])].join(' #')})`);
}

/** Append tables: each good acknowledged submit present, once with the ledger, and nothing else. */
function checkAppended(o: Observation, appended: ReadonlySet<number>, exactlyOnce: boolean, submits: Submits, add: (text: string) => void): void {
  const counts = new Map<number, number>();
  for (const row of o.rows) {
    const id = idOfVal(row.val);
    counts.set(id, (counts.get(id) ?? 0) + 1);
    const s = submits.get(id);
    if (!appended.has(id)) add(`row ${JSON.stringify(row)} is no acknowledged good submit`);
    else if (!s || s.values.k !== row.k || !('note' in s.values) || s.values.note !== row.note) add(`row ${JSON.stringify(row)} is not submit #${id} whole`);
  }
  for (const id of appended) {
    const n = counts.get(id) ?? 0;
    if (n === 0) add(`#${id} lost: acknowledged, not in the table`);
    else if (exactlyOnce && n > 1) add(`#${id} written ${n} times with delivery exactly-once`);
  }
}

/** Retries and breaker openings by reason and code, e.g. `retry unknown/21000 ×12, breaker open unknown/21000 ×1`. */
export function summarize(events: readonly WorkerEvent[]): string {
  const counts = new Map<string, number>();
  for (const e of events) {
    if (e.type === 'breaker' && e.state !== 'open') continue;
    const label = e.type === 'error' ? `error ${e.message ?? ''}`.slice(0, 120) : `${e.type === 'breaker' ? 'breaker open' : 'retry'} ${e.reason}/${e.code ?? '-'}`;
    counts.set(label, (counts.get(label) ?? 0) + 1);
  }
  return [...counts].map(([label, n]) => `${label} ×${n}`).join(', ');
}

function codes(events: readonly WorkerEvent[]): string {
  return [...new Set(events.map((e) => e.code ?? '-'))].join(', ');
}
