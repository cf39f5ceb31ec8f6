import { InvalidArgumentError, Option, type Command } from 'commander';
import { DEAD_LETTER_CLASSES, type DeadLetterClass } from '../../src/queue/dead-letter-entry.js';
import { DEAD_LETTER_GROUP_FIELDS, type DeadLetterGroupField } from '../../src/queue/dead-letter/index.js';
import type { DeadLetterFilter } from '../../src/queue/dead-letter/index.js';

const CLASSES = DEAD_LETTER_CLASSES;
const UNIT_MS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Filter flags as commander parses them. */
export interface FilterFlags {
  class?: DeadLetterClass;
  reason?: string;
  errorCode?: string;
  since?: Date;
  limit?: number;
}

/** Adds the filter flags shared by `dlq list`, `replay` and `purge`. */
export function addFilterOptions(command: Command): Command {
  return command
    .addOption(new Option('--class <class>', 'only entries of this class').choices(CLASSES))
    .option('--reason <reason>', 'only entries with this failure reason (e.g. non_retryable, deadlock, decode)')
    .option('--error-code <code>', 'only entries with this sink error code (e.g. 23505, 1062, SQLITE_CONSTRAINT_CHECK)')
    .option('--since <when>', 'only entries that last failed at or after this time: ISO-8601, or an age like 30m, 2h, 7d', parseSince)
    .option('--limit <n>', 'act on at most n entries (oldest first)', parsePositiveInt);
}

/** The DLQ filter the flags describe. */
export function filterOf(flags: FilterFlags): DeadLetterFilter {
  return {
    ...(flags.class && { class: flags.class }),
    ...(flags.reason && { reason: flags.reason }),
    ...(flags.errorCode && { errorCode: flags.errorCode }),
    ...(flags.since && { since: flags.since }),
  };
}

function parseSince(value: string): Date {
  const now = Date.now();
  const age = /^(\d+)([smhd])$/.exec(value);
  if (age) return new Date(now - Number(age[1]) * (UNIT_MS[age[2] as string] as number));
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new InvalidArgumentError('must be an ISO-8601 time or an age like 30m, 2h, 7d');
  return date;
}

/** Commander argument parser for a positive integer. */
export function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

/** Commander argument parser for `--rate <n>/s` (or `<n>/m`, or a bare `<n>` per second): entries per second. */
export function parseRate(value: string): number {
  const match = /^(\d+(?:\.\d+)?)(?:\/(s|m))?$/.exec(value.trim());
  const n = match ? Number(match[1]) / (match[2] === 'm' ? 60 : 1) : Number.NaN;
  if (!(n > 0 && Number.isFinite(n))) throw new InvalidArgumentError('must be a positive rate like 100/s or 600/m');
  return n;
}

const GROUP_FIELD_ALIASES: Readonly<Record<string, DeadLetterGroupField>> = { 'error-code': 'errorCode', errorcode: 'errorCode', code: 'errorCode' };

/** Commander argument parser for `--group-by reason,errorCode`. */
export function parseGroupBy(value: string): DeadLetterGroupField[] {
  const fields = value.split(',').map((name) => name.trim()).filter(Boolean);
  const parsed = fields.map((name) => GROUP_FIELD_ALIASES[name.toLowerCase()] ?? DEAD_LETTER_GROUP_FIELDS.find((field) => field === name));
  if (parsed.length === 0 || parsed.some((field) => field === undefined)) throw new InvalidArgumentError(`must list fields among ${DEAD_LETTER_GROUP_FIELDS.join(', ')}, separated by commas`);
  return [...new Set(parsed as DeadLetterGroupField[])];
}
