import type { DeadLetterGroup, DeadLetterGroupField } from '../../src/queue/dead-letter/index.js';

const TITLES: Readonly<Record<DeadLetterGroupField, string>> = { class: 'CLASS', reason: 'REASON', errorCode: 'CODE', state: 'STATE', message: 'MESSAGE' };

/** Lines of `dlq list --group-by`: one row per group, largest first, with its first entry and message. */
export function groupTable(schema: string, by: readonly DeadLetterGroupField[], groups: readonly DeadLetterGroup[]): string[] {
  if (groups.length === 0) return [`no entries in the dead-letter queue of ${schema}`];
  const header = [...by.map((field) => TITLES[field]), 'COUNT', 'FIRST ID', 'FIRST MESSAGE'];
  const rows = groups.map((group) => [
    ...by.map((field) => (group.overflow ? '(other groups)' : cell(group.key[field]))),
    String(group.count),
    group.firstId,
    truncate(group.firstMessage, 80),
  ]);
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => (row[i] as string).length)));
  const line = (row: readonly string[]) => row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i] as number))).join('  ');
  const total = groups.reduce((sum, group) => sum + group.count, 0);
  return [line(header), ...rows.map(line), `${total} entr${total === 1 ? 'y' : 'ies'} in ${groups.length} group${groups.length === 1 ? '' : 's'}`];
}

function cell(value: string | null | undefined): string {
  return value === null || value === undefined || value === '' ? '-' : truncate(value, 60);
}

function truncate(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}
