// The model of the write path, pure: what a generated case submits, and what the contract
// (DESIGN.md "The contract users rely on", README "Last submit wins" and "Exactly-once without a
// key") allows the table and the DLQ to hold once everything acknowledged has been decided.
// No I/O here: the runner drives real servers, the checker compares what it saw with this.

/** The SQL dialects the model runs on, by sink type. */
export type Dialect = 'postgres' | 'mysql' | 'sqlite';
export type Strategy = 'insert' | 'ignore' | 'replace' | 'update';
/** `none`: last commit wins; `submit`: the producer stamps the version; `row`: the case sets it. */
export type Versioning = 'none' | 'submit' | 'row';
export type Delivery = 'at-least-once' | 'exactly-once';
/** A row the database refuses whatever else is in its batch: CHECK (val >= 0), NOT NULL note, note longer than 8. */
export type Poison = 'check' | 'notnull' | 'toolong';

/**
 * The key column's SQL type, which decides which strings are one key:
 * `text` compares exactly (PostgreSQL text, MySQL `utf8mb4_nopad_bin`, SQLite TEXT);
 * `char` pads (`char(4)`: 'a' = 'a '); `citext` (PostgreSQL) and `nocase` (SQLite) fold case;
 * `ci` is MySQL's default collation (`utf8mb4_general_ci`: folds case and pads); `rtrim` is SQLite's RTRIM.
 */
export type KeyColumn = 'text' | 'char' | 'citext' | 'ci' | 'nocase' | 'rtrim';

/** The key columns each dialect offers the generator. */
export const KEY_COLUMNS: Readonly<Record<Dialect, readonly KeyColumn[]>> = {
  postgres: ['text', 'char', 'citext'],
  mysql: ['text', 'char', 'ci'],
  sqlite: ['text', 'nocase', 'rtrim'],
};

/** How the database compares two keys of a key column. */
export function keyEquality(column: KeyColumn): { foldCase: boolean; ignoreTrailingSpaces: boolean } {
  return {
    foldCase: column === 'citext' || column === 'ci' || column === 'nocase',
    ignoreTrailingSpaces: column === 'char' || column === 'ci' || column === 'rtrim',
  };
}

/** The key as the database sees it: two strings are one key exactly when their canonical forms are equal. */
export function canonicalKey(column: KeyColumn, key: string): string {
  const { foldCase, ignoreTrailingSpaces } = keyEquality(column);
  const trimmed = ignoreTrailingSpaces ? key.replace(/ +$/, '') : key;
  return foldCase ? trimmed.toLowerCase() : trimmed;
}

/** Key bases of the small key space; each has spellings the database may equate. */
export const KEY_BASES = ['a', 'b', 'c', 'd', 'e'] as const;

/** Spelling `variant` of key `base`: as is, upper case, or with a trailing space. */
export function keySpelling(base: number, variant: number): string {
  const k = KEY_BASES[base % KEY_BASES.length] as string;
  return variant === 1 ? k.toUpperCase() : variant === 2 ? `${k} ` : k;
}

export interface TableSpec {
  readonly strategy: Strategy;
  readonly versioning: Versioning;
  readonly delivery: Delivery;
  readonly keyColumn: KeyColumn;
  readonly partitions: 1 | 2;
}

/** One worker's consumer options, and its driver's chunk size (several statements per transaction below the batch size). */
export interface WorkerSpec {
  readonly flushSize: number;
  readonly maxInFlightBatches: number;
  readonly flushIntervalMs: number;
  readonly maxRowsPerStatement: number;
}

/**
 * One submitted request: which key (base and spelling), an upsert or a delete by key (`del`),
 * poison or not (upserts only), and its version for `row` versioning (deletes carry one too).
 */
export interface RowSpec {
  readonly key: number;
  readonly variant: number;
  readonly poison: Poison | null;
  readonly version: number;
  /** A delete by key (`Request.deleteOf`): the key (and `ver`), nothing else. Never on `insert` tables. */
  readonly del?: boolean;
}

/**
 * One step: a burst of `submitMany` calls issued together (each group one call, so concurrent
 * batches see the groups' key orders), a SIGKILL of a child worker (restarted at once), or a wait
 * until the queue is empty.
 */
export type Step = { readonly t: 'burst'; readonly groups: readonly (readonly RowSpec[])[] } | { readonly t: 'kill'; readonly child: number } | { readonly t: 'settle' };

/** A generated case. */
export interface Case {
  readonly dialect: Dialect;
  readonly table: TableSpec;
  /** Producer packing (several requests per job) or one job per request. */
  readonly packing: boolean;
  /** Consumers in the test process, each with its own driver. */
  readonly workers: readonly WorkerSpec[];
  /** Worker child processes, the ones `kill` steps SIGKILL. */
  readonly children: readonly WorkerSpec[];
  readonly steps: readonly Step[];
}

/** The values a row carries in the table (columns k, val, note, and ver for `row` versioning); a delete carries k (and ver) only. */
export type RowValues = {
  readonly k: string;
  readonly val: number;
  readonly note: string | null;
  readonly ver?: bigint;
};

/** A submitted request, numbered in submit order (the order the producer stamps versions in). */
export interface Submit {
  readonly id: number;
  readonly spec: RowSpec;
  /** The row, or a delete's key object (`spec.del`). */
  readonly values: RowValues | DeleteValues;
  /** How many `settle` steps came before it: everything of an earlier epoch was decided before it was submitted. */
  readonly epoch: number;
}

/** Longest note the table takes (varchar(8), or a CHECK on SQLite). */
export const NOTE_MAX = 8;

/** A request's values: `val` is its id (negated for CHECK poison), so both the table and the DLQ name the request. */
export function rowValues(id: number, spec: RowSpec, versioning: Versioning): RowValues | DeleteValues {
  if (spec.del) return { k: keySpelling(spec.key, spec.variant), ...(versioning === 'row' && { ver: BigInt(spec.version) }) };
  const val = spec.poison === 'check' ? -(id + 1) : id;
  const note = spec.poison === 'notnull' ? null : spec.poison === 'toolong' ? `long-note-${id}` : `n${id}`;
  return { k: keySpelling(spec.key, spec.variant), val, note, ...(versioning === 'row' && { ver: BigInt(spec.version) }) };
}

/** A delete's key object: the key column, and the version for `row` versioning. */
export type DeleteValues = { readonly k: string; readonly ver?: bigint };

/** The request id a stored `val` names (see {@link rowValues}). */
export function idOfVal(val: number): number {
  return val < 0 ? -val - 1 : val;
}

/** Every submit of the case, in call order. */
export function submitsOf(c: Case): Submit[] {
  const submits: Submit[] = [];
  let epoch = 0;
  for (const step of c.steps) {
    if (step.t === 'settle') epoch++;
    if (step.t !== 'burst') continue;
    for (const group of step.groups) for (const spec of group) submits.push({ id: submits.length, spec, values: rowValues(submits.length, spec, c.table.versioning), epoch });
  }
  return submits;
}

/** What the contract allows once every acknowledged submit has been decided. */
export interface Expectation {
  /**
   * Keyed tables: canonical key → ids of the upserts the stored row may be. Every key listed must
   * be present unless it is in `mayBeAbsent`; no other key may be. An empty set: the key must be absent.
   */
  readonly allowed: ReadonlyMap<string, ReadonlySet<number>>;
  /** Keyed tables: canonical keys whose outcome may be "deleted" (a delete of the key may be its last operation). */
  readonly mayBeAbsent: ReadonlySet<string>;
  /** Append tables (`insert`): ids that must each be present, exactly once when `exactlyOnce`, at least once otherwise. */
  readonly appended: ReadonlySet<number>;
  readonly exactlyOnce: boolean;
  /** Ids that must be in the DLQ, each once, and nothing else. */
  readonly deadLettered: ReadonlySet<number>;
  /**
   * Poison ids that may instead be absent from the DLQ: a batch writes one row per key (README
   * "Last submit wins": the newest submit of a key for `update`/`replace`, the first for `ignore`),
   * so a poison row that shares its batch with a submit of its key that wins is never written,
   * hence never fails. Whether they shared a batch is the runtime's choice, so either is allowed.
   */
  readonly mayBeSuperseded: ReadonlySet<number>;
}

/**
 * The contract, per table kind:
 * - versioned `update`/`replace` (last submit wins): the key's newest acknowledged good operation
 *   decides it (by the producer's stamp, i.e. submit order; or by the `row` version, where equal
 *   versions leave any of the tied, as an equal version changes nothing): the row is that upsert,
 *   or the key is absent when it is a delete. An older upsert never resurrects a deleted key
 *   (tombstones), and a late delete never removes a newer row;
 * - unversioned `update`/`replace` (last commit wins) and `ignore` (first commit wins): with
 *   concurrent batches, retries and redelivery, any operation of the key submitted since the last
 *   `settle` may be the one that committed last (or, for `ignore`, the first upsert after the
 *   key was last absent), so the row must be one of those upserts, whole (no mix of two), or the
 *   key absent when one of those is a delete. A `settle` waits until everything before it is decided;
 * - `insert`: every good submit appended, exactly once with the ledger, at least once without;
 * - everywhere: the keys are the database's (canonical) keys, poison rows are dead-lettered and
 *   never written, and nothing else is dead-lettered.
 */
export function expectation(c: Case, acked: ReadonlySet<number>): Expectation {
  const submits = submitsOf(c).filter((s) => acked.has(s.id));
  const good = submits.filter((s) => s.spec.poison === null);
  const deadLettered = new Set(submits.filter((s) => s.spec.poison !== null).map((s) => s.id));
  const exactlyOnce = c.table.delivery === 'exactly-once';
  if (c.table.strategy === 'insert') return { allowed: new Map(), mayBeAbsent: new Set(), appended: new Set(good.map((s) => s.id)), exactlyOnce, deadLettered, mayBeSuperseded: new Set() };
  const byKey = new Map<string, Submit[]>();
  for (const s of good) {
    const key = canonicalKey(c.table.keyColumn, s.values.k);
    byKey.set(key, [...(byKey.get(key) ?? []), s]);
  }
  const allowed = new Map<string, Set<number>>();
  const mayBeAbsent = new Set<string>();
  for (const [key, list] of byKey) {
    const outcomes = c.table.versioning === 'none' ? unversionedOutcomes(c.table.strategy, list) : newest(c.table.versioning, list);
    allowed.set(key, new Set(outcomes.filter((s) => !s.spec.del).map((s) => s.id)));
    if (outcomes.some((s) => s.spec.del)) mayBeAbsent.add(key);
  }
  const mayBeSuperseded = new Set<number>();
  for (const p of submits) {
    if (p.spec.poison === null) continue;
    const key = canonicalKey(c.table.keyColumn, p.values.k);
    const rivals = submits.filter((s) => s.id !== p.id && canonicalKey(c.table.keyColumn, s.values.k) === key);
    if (rivals.some((s) => winsInBatch(c.table, s, p))) mayBeSuperseded.add(p.id);
  }
  return { allowed, mayBeAbsent, appended: new Set(), exactlyOnce, deadLettered, mayBeSuperseded };
}

/** Whether `a` is the row a batch holding both `a` and `b` (one key) writes, or a delete that drops `b`. */
function winsInBatch(t: TableSpec, a: Submit, b: Submit): boolean {
  if (t.versioning === 'row') return a.spec.version > b.spec.version || (a.spec.version === b.spec.version && a.id > b.id);
  // A batch keeps only the upserts after a key's last delete (the newest operation, versioned).
  if (a.spec.del) return a.id > b.id;
  if (t.strategy === 'ignore') return a.id < b.id;
  return a.id > b.id;
}

/**
 * The operations of one key that may decide it (a delete: absent), newest first: the key's newest
 * operation by submit stamp, else by `row` version (ties kept).
 */
function newest(versioning: Versioning, list: readonly Submit[]): readonly Submit[] {
  if (versioning === 'submit') return list.slice(-1);
  const top = list.reduce((max, s) => (s.spec.version > max ? s.spec.version : max), Number.NEGATIVE_INFINITY);
  return list.filter((s) => s.spec.version === top);
}

/**
 * Without a version: the operations that may decide a key, epoch by epoch (each `settle` decides
 * everything before it). An epoch's operations commit in any order, so `update`/`replace` may end
 * on any of them; `ignore` keeps a stored row until a delete, so a row stored before an epoch
 * stays possible unless the epoch deletes, and its upserts count only where the key may be absent.
 */
function unversionedOutcomes(strategy: Strategy, list: readonly Submit[]): readonly Submit[] {
  // The possible states so far: upserts (the stored row) and deletes (absent); empty = never written.
  let states: Submit[] = [];
  const epochs = [...new Set(list.map((s) => s.epoch))];
  for (const epoch of epochs) {
    const ops = list.filter((s) => s.epoch === epoch);
    // update/replace: any of the epoch's operations may commit last. ignore: a delete removes any
    // stored row (then any later upsert may land); without one, a stored row stays, and the
    // epoch's upserts land only where the key may be absent.
    if (strategy !== 'ignore' || ops.some((s) => s.spec.del)) {
      states = [...ops];
      continue;
    }
    const absent = states.length === 0 || states.some((s) => s.spec.del);
    states = [...states.filter((s) => !s.spec.del), ...(absent ? ops : [])];
  }
  return states;
}

/** `SQLSchema(...)`'s arguments for a case's table, as JSON (a worker child process builds the same schema from them). */
export type SchemaArgs = readonly [table: string, strategy: Strategy, columns: Record<string, string>, options: Record<string, unknown>];

/** The schema of a case: k, val, note (nullable in the schema, NOT NULL in the table, so NULL is poison), and ver. */
export function schemaArgs(table: string, spec: TableSpec): SchemaArgs {
  const columns: Record<string, string> = { k: 'string', val: 'int32', note: 'string?' };
  if (spec.versioning === 'row') columns.ver = 'int64';
  const options: Record<string, unknown> = { delivery: spec.delivery, partitions: spec.partitions };
  if (spec.strategy !== 'insert') options.keys = ['k'];
  // Versioned tables keep tombstones, so a late older upsert cannot resurrect a deleted key.
  if (spec.versioning !== 'none') Object.assign(options, { versionColumn: 'ver', versionSource: spec.versioning, tombstones: true });
  return [table, spec.strategy, columns, options];
}
