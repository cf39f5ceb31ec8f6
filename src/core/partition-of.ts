import { partitionKeyColumns, type Schema } from './schema.js';

/** A row as the producer encodes it: column name to a JSON-safe value. */
type EncodedRow = Readonly<Record<string, unknown>>;

/** Separates key values in the hashed text; cannot occur inside a JSON-encoded value unescaped. */
const SEPARATOR = '\u0000';

/**
 * 32-bit FNV-1a over the UTF-16 code units of `text`. Stable across processes, Node versions and
 * machines (unlike a seeded hash), cheap, and spreads short keys such as `"1"`, `"2"` well enough
 * over a handful of partitions.
 */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/**
 * The partition (0 … `partitions` − 1) of one encoded row: a stable hash of the JSON encoding of
 * its key values, in key order. The same key always maps to the same partition, so its requests
 * stay in one queue and keep their submit order. A missing key value hashes like `null`.
 *
 * @example
 * ```ts
 * partitionOf(['id'], { id: 42, name: 'Ada' }, 4); // always the same number in 0..3
 * ```
 */
export function partitionOf(keys: readonly string[], row: EncodedRow, partitions: number): number {
  if (partitions <= 1) return 0;
  let text = '';
  for (let i = 0; i < keys.length; i++) {
    if (i > 0) text += SEPARATOR;
    text += JSON.stringify(row[keys[i] as string] ?? null);
  }
  return fnv1a32(text) % partitions;
}

/** Rows of one partition, with their estimated sizes, in submit order. */
export interface PartitionGroup<R> {
  readonly partition: number;
  readonly rows: R[];
  readonly bytes: number[];
}

/**
 * Hands out partitions in turn (0, 1, …, N − 1, 0, …): where a keyless schema's requests go. One
 * per producer and schema; the turn is local to the process, so several producers together still
 * spread evenly on average.
 */
export class RoundRobin {
  #next = 0;

  /** The next partition of `partitions`. */
  next(partitions: number): number {
    const partition = this.#next % partitions;
    this.#next = (partition + 1) % partitions;
    return partition;
  }
}

/**
 * Splits encoded rows of `schema` by partition ({@link partitionOf} over
 * {@link partitionKeyColumns}), keeping each partition's rows in their submit order.
 * A schema with one partition yields one group holding everything, with no hashing.
 * A keyless schema (no routing columns: an `insert` schema without keys or `partitionBy`) has no
 * per-key order to keep: its rows take partitions from `spread` in turn, so they use every
 * partition instead of all hashing the empty key into one.
 */
export function splitByPartition<R extends EncodedRow>(schema: Schema, rows: readonly R[], bytes: readonly number[], spread: RoundRobin = new RoundRobin()): PartitionGroup<R>[] {
  if (schema.partitions <= 1) return [{ partition: 0, rows: [...rows], bytes: [...bytes] }];
  const keys = partitionKeyColumns(schema);
  const groups = new Map<number, PartitionGroup<R>>();
  rows.forEach((row, i) => {
    const partition = keys.length === 0 ? spread.next(schema.partitions) : partitionOf(keys, row, schema.partitions);
    let group = groups.get(partition);
    if (!group) groups.set(partition, (group = { partition, rows: [], bytes: [] }));
    group.rows.push(row);
    group.bytes.push(bytes[i] ?? 0);
  });
  return [...groups.values()];
}
