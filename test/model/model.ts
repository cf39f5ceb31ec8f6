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

/** One submitted row: which key (base and spelling), poison or not, and its version for `row` versioning. */
export interface RowSpec {
  readonly key: number;
  readonly variant: number;
  readonly poison: Poison | null;
  readonly version: number;
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

/** The values a row carries in the table (columns k, val, note, and ver for `row` versioning). */
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
  readonly values: RowValues;
}

/** Longest note the table takes (varchar(8), or a CHECK on SQLite). */
export const NOTE_MAX = 8;

/** A request's values: `val` is its id (negated for CHECK poison), so both the table and the DLQ name the request. */
export function rowValues(id: number, spec: RowSpec, versioning: Versioning): RowValues {
  const val = spec.poison === 'check' ? -(id + 1) : id;
  const note = spec.poison === 'notnull' ? null : spec.poison === 'toolong' ? `long-note-${id}` : `n${id}`;
  return { k: keySpelling(spec.key, spec.variant), val, note, ...(versioning === 'row' && { ver: BigInt(spec.version) }) };
}

/** The request id a stored `val` names (see {@link rowValues}). */
export function idOfVal(val: number): number {
  return val < 0 ? -val - 1 : val;
}

/** Every submit of the case, in call order. */
export function submitsOf(c: Case): Submit[] {
  const submits: Submit[] = [];
  for (const step of c.steps) {
    if (step.t !== 'burst') continue;
    for (const group of step.groups) for (const spec of group) submits.push({ id: submits.length, spec, values: rowValues(submits.length, spec, c.table.versioning) });
  }
  return submits;
}

/** What the contract allows once every acknowledged submit has been decided. */
export interface Expectation {
  /** Keyed tables: canonical key → ids of the submits the stored row may be. Every key listed must be present, no other. */
  readonly allowed: ReadonlyMap<string, ReadonlySet<number>>;
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
 * - versioned `update`/`replace` (last submit wins): the stored row is the newest acknowledged
 *   good submit of its key (by the producer's stamp, i.e. submit order; or by the `row` version,
 *   where equal versions leave any of the tied submits, as an equal version changes nothing);
 * - unversioned `update`/`replace` (last commit wins) and `ignore` (first commit wins): with
 *   concurrent batches, retries and redelivery, any acknowledged good submit of the key may be the
 *   one that committed last (or first), so the row must be one of them, whole (no mix of two);
 * - `insert`: every good submit appended, exactly once with the ledger, at least once without;
 * - everywhere: the keys are the database's (canonical) keys, poison rows are dead-lettered and
 *   never written, and nothing else is dead-lettered.
 */
export function expectation(c: Case, acked: ReadonlySet<number>): Expectation {
  const submits = submitsOf(c).filter((s) => acked.has(s.id));
  const good = submits.filter((s) => s.spec.poison === null);
  const deadLettered = new Set(submits.filter((s) => s.spec.poison !== null).map((s) => s.id));
  const exactlyOnce = c.table.delivery === 'exactly-once';
  if (c.table.strategy === 'insert') return { allowed: new Map(), appended: new Set(good.map((s) => s.id)), exactlyOnce, deadLettered, mayBeSuperseded: new Set() };
  const byKey = new Map<string, Submit[]>();
  for (const s of good) {
    const key = canonicalKey(c.table.keyColumn, s.values.k);
    byKey.set(key, [...(byKey.get(key) ?? []), s]);
  }
  const allowed = new Map<string, Set<number>>();
  for (const [key, list] of byKey) allowed.set(key, new Set(newest(c.table.versioning, list).map((s) => s.id)));
  const mayBeSuperseded = new Set<number>();
  for (const p of submits) {
    if (p.spec.poison === null) continue;
    const key = canonicalKey(c.table.keyColumn, p.values.k);
    const rivals = submits.filter((s) => s.id !== p.id && canonicalKey(c.table.keyColumn, s.values.k) === key);
    if (rivals.some((s) => winsInBatch(c.table, s, p))) mayBeSuperseded.add(p.id);
  }
  return { allowed, appended: new Set(), exactlyOnce, deadLettered, mayBeSuperseded };
}

/** Whether `a` is the row a batch holding both `a` and `b` (one key) writes. */
function winsInBatch(t: TableSpec, a: Submit, b: Submit): boolean {
  if (t.strategy === 'ignore') return a.id < b.id;
  if (t.versioning === 'row') return a.spec.version > b.spec.version || (a.spec.version === b.spec.version && a.id > b.id);
  return a.id > b.id;
}

/** The submits of one key that may be stored: all of them without a version, else the newest (ties kept). */
function newest(versioning: Versioning, list: readonly Submit[]): readonly Submit[] {
  if (versioning === 'none') return list;
  if (versioning === 'submit') return list.slice(-1);
  const top = list.reduce((max, s) => (s.spec.version > max ? s.spec.version : max), Number.NEGATIVE_INFINITY);
  return list.filter((s) => s.spec.version === top);
}

/** `SQLSchema(...)`'s arguments for a case's table, as JSON (a worker child process builds the same schema from them). */
export type SchemaArgs = readonly [table: string, strategy: Strategy, columns: Record<string, string>, options: Record<string, unknown>];

/** The schema of a case: k, val, note (nullable in the schema, NOT NULL in the table, so NULL is poison), and ver. */
export function schemaArgs(table: string, spec: TableSpec): SchemaArgs {
  const columns: Record<string, string> = { k: 'string', val: 'int32', note: 'string?' };
  if (spec.versioning === 'row') columns.ver = 'int64';
  const options: Record<string, unknown> = { delivery: spec.delivery, partitions: spec.partitions };
  if (spec.strategy !== 'insert') options.keys = ['k'];
  if (spec.versioning !== 'none') Object.assign(options, { versionColumn: 'ver', versionSource: spec.versioning });
  return [table, spec.strategy, columns, options];
}
