// What the start-up schema check reports, and how it reads: the data of SchemaDriftError.

/** Why a table does not fit its schema. `column` is set for column problems. */
export type SchemaProblemKind =
  | 'missing-table'
  | 'missing-column'
  | 'type-mismatch'
  | 'nullable-mismatch'
  | 'extra-not-null-column'
  | 'keys-not-unique'
  | 'tombstone-table';

/** One difference between a schema and its table that makes writes fail or lose their guarantees. */
export interface SchemaProblem {
  readonly kind: SchemaProblemKind;
  readonly column?: string;
  readonly message: string;
  /**
   * A missing column that `evolve: 'add-columns'` may add (declared with a type, nullable,
   * not a key). Absent on every other problem.
   */
  readonly addable?: boolean;
}

/** Something worth knowing that does not stop the worker (another unique index, a column added or a table created by the worker, a tombstone table still to be created). */
export interface SchemaNote {
  readonly kind: 'other-unique-index' | 'column-added' | 'table-created' | 'tombstone-table';
  readonly message: string;
}

/** The outcome of comparing one schema with its table. `ok` when there is no problem. */
export interface SchemaDiff {
  readonly schema: string;
  readonly table: string;
  readonly ok: boolean;
  readonly problems: readonly SchemaProblem[];
  readonly notes: readonly SchemaNote[];
}

/**
 * A readable report, one block per table: `✗`/`✓`, then its problems (`-`) and notes (`·`).
 *
 * @example
 * ```text
 * ✗ events (table events)
 *   - column note (string?) is missing; evolve: 'add-columns' would add it
 *   · unique index events_email_key (email) is not the keys: a row that collides on it is a data error
 * ```
 */
export function formatSchemaDiffs(diffs: readonly SchemaDiff[]): string {
  return diffs
    .map((diff) => {
      const head = `${diff.ok ? '✓' : '✗'} ${diff.schema} (table ${diff.table})${diff.ok ? ': matches' : ''}`;
      return [head, ...diff.problems.map((p) => `  - ${p.message}`), ...diff.notes.map((n) => `  · ${n.message}`)].join('\n');
    })
    .join('\n');
}
