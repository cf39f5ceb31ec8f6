// fast-check arbitraries for the model test's cases: a table (strategy, versioning, delivery, key
// column, partitions), two or more workers, and a sequence of steps over a small key space.
// Every choice shrinks towards the simplest case (one plain burst, no poison, no variants).
import fc from 'fast-check';
import { KEY_COLUMNS, keyEquality, keySpelling, type Case, type Dialect, type KeyColumn, type Poison, type RowSpec, type Step, type TableSpec, type WorkerSpec } from './model.js';

/**
 * Which defect classes the generator provokes. Each can be switched off (env, see the test file)
 * to look for one class at a time, or to gate a class whose fix has not landed yet.
 */
export interface GeneratorFlags {
  /** Key columns the database compares loosely (char(n), citext, collations) and spellings it equates. */
  readonly keyVariants: boolean;
  /**
   * Also spellings that look alike but the key column keeps apart ('a'/'A' on text or char(n),
   * 'a'/'a ' on text or citext). On by default since the drivers ask the database how such
   * spellings compare (branch `lookalike`); before, they deadlocked on PostgreSQL (docs/notes-model.md).
   */
  readonly lookalikeKeys: boolean;
  /**
   * Deadlock bait: bursts whose concurrent submits hold the same keys in opposite orders, and
   * drivers that write a batch as several statements (`maxRowsPerStatement` 1 or 2).
   */
  readonly crossOrders: boolean;
  /** Worker child processes, SIGKILLed by `kill` steps. */
  readonly kills: boolean;
  /** Rows the table refuses (CHECK, NOT NULL, too long). */
  readonly poison: boolean;
  /** Deletes by key among the operations (keyed tables; versioned ones keep tombstones). */
  readonly deletes: boolean;
  /** Most steps per case. */
  readonly maxSteps: number;
}

export const DEFAULT_FLAGS: GeneratorFlags = Object.freeze({ keyVariants: true, lookalikeKeys: true, crossOrders: true, kills: true, poison: true, deletes: true, maxSteps: 6 });

/** Keys per case: small, so that batches and workers keep meeting on the same keys. */
const KEYS = 3;

function worker(flags: GeneratorFlags): fc.Arbitrary<WorkerSpec> {
  return fc.record({
    flushSize: fc.integer({ min: 1, max: 8 }),
    maxInFlightBatches: fc.integer({ min: 1, max: 3 }),
    flushIntervalMs: fc.constantFrom(20, 50, 100),
    // Small chunks make a batch several statements in one transaction, which widens the window in
    // which two transactions hold some of each other's keys (the deadlock the key order prevents).
    maxRowsPerStatement: flags.crossOrders ? fc.constantFrom(1, 2, 1000) : fc.constant(1000),
  });
}

function table(dialect: Dialect, flags: GeneratorFlags): fc.Arbitrary<TableSpec> {
  return fc
    .record({
      strategy: fc.constantFrom('update', 'replace', 'ignore', 'insert'),
      versioning: fc.constantFrom('none', 'submit', 'row'),
      delivery: fc.constantFrom('at-least-once', 'exactly-once'),
      keyColumn: flags.keyVariants ? fc.constantFrom(...KEY_COLUMNS[dialect]) : fc.constant('text' as const),
      partitions: fc.constantFrom(1 as const, 2 as const),
    })
    .map((t) => ({
      ...t,
      // Versions apply to update and replace only; an append table has no key to vary.
      versioning: t.strategy === 'update' || t.strategy === 'replace' ? t.versioning : 'none',
      keyColumn: t.strategy === 'insert' ? 'text' : t.keyColumn,
    }));
}

function row(flags: GeneratorFlags): fc.Arbitrary<RowSpec> {
  const poison: fc.Arbitrary<Poison | null> = flags.poison
    ? fc.oneof({ weight: 8, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.constantFrom<Poison>('check', 'notnull', 'toolong') })
    : fc.constant(null);
  return fc
    .record({
      key: fc.integer({ min: 0, max: KEYS - 1 }),
      variant: flags.keyVariants ? fc.integer({ min: 0, max: 2 }) : fc.constant(0),
      poison,
      version: fc.integer({ min: 0, max: 3 }),
      // One operation in four a delete; shrinks towards an upsert.
      del: flags.deletes ? fc.oneof({ weight: 3, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }) : fc.constant(false),
    })
    .map((r) => (r.del ? { ...r, poison: null } : r));
}

function steps(flags: GeneratorFlags): fc.Arbitrary<Step[]> {
  const rows = row(flags);
  const burst = fc.array(fc.array(rows, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 3 }).map((groups): Step => ({ t: 'burst', groups }));
  // The same rows twice, the second time in reverse, submitted together: two batches that lock
  // the same keys in opposite orders unless the driver sorts them.
  const cross = fc.array(rows, { minLength: 2, maxLength: 6 }).map((g): Step => ({ t: 'burst', groups: [g, [...g].reverse()] }));
  const kill = fc.integer({ min: 0, max: 1 }).map((child): Step => ({ t: 'kill', child }));
  const settle = fc.constant<Step>({ t: 'settle' });
  const step = fc.oneof(
    { weight: 4, arbitrary: burst },
    ...(flags.crossOrders ? [{ weight: 3, arbitrary: cross }] : []),
    ...(flags.kills ? [{ weight: 1, arbitrary: kill }] : []),
    { weight: 1, arbitrary: settle },
  );
  return fc.array(step, { minLength: 1, maxLength: flags.maxSteps });
}

/** Cases for one dialect. */
export function caseArbitrary(dialect: Dialect, flags: GeneratorFlags = DEFAULT_FLAGS): fc.Arbitrary<Case> {
  return fc
    .record({
      table: table(dialect, flags),
      packing: fc.boolean(),
      workers: fc.array(worker(flags), { minLength: 1, maxLength: 3 }),
      // Child processes cost seconds to start: one case in three has them, so a bounded run sees more cases.
      children: flags.kills
        ? fc.oneof({ weight: 2, arbitrary: fc.constant<WorkerSpec[]>([]) }, { weight: 1, arbitrary: fc.array(worker(flags), { minLength: 1, maxLength: 2 }) })
        : fc.constant<WorkerSpec[]>([]),
      steps: steps(flags),
    })
    .map(({ workers, children, steps: s, ...rest }) => ({
      dialect,
      ...rest,
      // Spellings the key column keeps apart become the plain key unless asked for; an append table takes no deletes.
      steps: (flags.lookalikeKeys || rest.table.strategy === 'insert' ? s : s.map((x) => equatedSpellingsOnly(x, rest.table.keyColumn))).map((x) =>
        rest.table.strategy === 'insert' ? upsertsOnly(x) : x,
      ),
      // Two or more workers: a second in-process one when no child makes up the pair.
      workers: workers.length + children.length >= 2 ? workers : [...workers, workers[0] as WorkerSpec],
      // A kill without a child to kill is nothing: drop it, so shrinking has less to remove.
      children,
    }))
    .map((c) => ({ ...c, steps: c.children.length > 0 ? c.steps : c.steps.filter((x) => x.t !== 'kill') }));
}

/** The step with every spelling the key column does not equate with the plain key replaced by the plain key. */
function equatedSpellingsOnly(step: Step, column: KeyColumn): Step {
  if (step.t !== 'burst') return step;
  const { foldCase, ignoreTrailingSpaces } = keyEquality(column);
  const keep = (variant: number) => variant === 0 || (variant === 1 && foldCase) || (variant === 2 && ignoreTrailingSpaces);
  return { t: 'burst', groups: step.groups.map((g) => g.map((r) => (keep(r.variant) ? r : { ...r, variant: 0 }))) };
}

/** The step with every delete made an upsert (an append table has no key to delete by). */
function upsertsOnly(step: Step): Step {
  if (step.t !== 'burst') return step;
  return { t: 'burst', groups: step.groups.map((g) => g.map((r) => (r.del ? { ...r, del: false } : r))) };
}

/** A case in a few lines (workers as flushSize/maxInFlightBatches/flushIntervalMs/maxRowsPerStatement), for failure reports (fast-check prints the shrunk case with it). */
export function describeCase(c: Case): string {
  const t = c.table;
  const w = (x: WorkerSpec) => `${x.flushSize}/${x.maxInFlightBatches}/${x.flushIntervalMs}ms/${x.maxRowsPerStatement}`;
  const head = `${c.dialect} ${t.strategy}${t.versioning === 'none' ? '' : ` versioned(${t.versioning})`} ${t.delivery} key=${t.keyColumn} partitions=${t.partitions} packing=${c.packing} workers=[${c.workers.map(w).join(' ')}] children=[${c.children.map(w).join(' ')}]`;
  let id = 0;
  const stepText = c.steps.map((s) => {
    if (s.t === 'kill') return `kill child ${s.child % Math.max(1, c.children.length)}`;
    if (s.t === 'settle') return 'settle';
    const group = (g: readonly RowSpec[]) =>
      g.map((r) => `#${id++}:${r.del ? 'DEL ' : ''}${JSON.stringify(keySpelling(r.key, r.variant))}${r.poison ? `!${r.poison}` : ''}${t.versioning === 'row' ? `@${r.version}` : ''}`).join(' ');
    return `burst ${s.groups.map((g) => `[${group(g)}]`).join(' ‖ ')}`;
  });
  return [head, ...stepText.map((s) => `  ${s}`)].join('\n');
}
