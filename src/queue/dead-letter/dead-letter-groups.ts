import type { DeadLetterEntry } from '../dead-letter-entry.js';
import type { DeadLetterRecord } from './dead-letter-walk.js';

/** Fields DLQ entries can be grouped by. */
export type DeadLetterGroupField = 'class' | 'reason' | 'errorCode' | 'state' | 'message';

/** Every {@link DeadLetterGroupField}, e.g. for a CLI's choices. */
export const DEAD_LETTER_GROUP_FIELDS: readonly DeadLetterGroupField[] = Object.freeze(['class', 'reason', 'errorCode', 'state', 'message']);

/** One group of entries that agree on the grouped fields. */
export interface DeadLetterGroup {
  /** The grouped fields' values (`null` for an entry without an error code); empty for the overflow group. */
  readonly key: Readonly<Partial<Record<DeadLetterGroupField, string | null>>>;
  /** Entries in the group. */
  readonly count: number;
  /** The first entry of the group in walk order (oldest first): its id and message. */
  readonly firstId: string;
  readonly firstMessage: string;
  /** True for the one group that gathers entries beyond `maxGroups` distinct keys. */
  readonly overflow?: true;
}

/** Options of {@link groupEntries}. */
export interface DeadLetterGroupOptions {
  /** Distinct groups kept; entries of further keys are counted in one overflow group. @defaultValue 1000 */
  maxGroups?: number;
}

/** Defaults of {@link DeadLetterGroupOptions}. */
export const DEAD_LETTER_GROUP_DEFAULTS = Object.freeze({ maxGroups: 1000 });

/**
 * Counts streamed entries per group, keeping one small record per group (never the entries),
 * so memory is bounded by `maxGroups` however long the DLQ. Groups come largest first, ties in
 * order of first appearance.
 */
export async function groupEntries(records: AsyncIterable<DeadLetterRecord>, by: readonly DeadLetterGroupField[], options: DeadLetterGroupOptions = {}): Promise<DeadLetterGroup[]> {
  const maxGroups = options.maxGroups ?? DEAD_LETTER_GROUP_DEFAULTS.maxGroups;
  const groups = new Map<string, { key: Partial<Record<DeadLetterGroupField, string | null>>; count: number; firstId: string; firstMessage: string }>();
  let overflow: { count: number; firstId: string; firstMessage: string } | undefined;
  for await (const record of records) {
    const key = Object.fromEntries(by.map((field) => [field, fieldOf(record, field)])) as Partial<Record<DeadLetterGroupField, string | null>>;
    const hash = JSON.stringify(by.map((field) => key[field] ?? null));
    const group = groups.get(hash);
    if (group) group.count++;
    else if (groups.size < maxGroups) groups.set(hash, { key, count: 1, firstId: record.id, firstMessage: record.entry.message });
    else if (overflow) overflow.count++;
    else overflow = { count: 1, firstId: record.id, firstMessage: record.entry.message };
  }
  const sorted: DeadLetterGroup[] = [...groups.values()].sort((a, b) => b.count - a.count);
  if (overflow) sorted.push({ key: {}, ...overflow, overflow: true });
  return sorted;
}

function fieldOf(record: DeadLetterRecord, field: DeadLetterGroupField): string | null {
  if (field === 'state') return record.state;
  const value = (record.entry as DeadLetterEntry)[field];
  return typeof value === 'string' ? value : null;
}
