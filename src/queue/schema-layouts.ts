import { MAX_PARTITIONS } from '../core/schema.js';
import { PARTITION_SEPARATOR, partitionQueueName, queueName } from './queue-names.js';

/**
 * Every queue a schema's requests can sit in, whatever its `partitions` was when they were
 * submitted: the schema's own queue (`orders`, the layout of `partitions: 1`) and `orders#0` …
 * `orders#255`. A layout of N partitions is the first N of those; partition p is named `orders#p`
 * under every N > 1, so layouts share queues.
 */
export function candidateQueues(schema: string): string[] {
  return [queueName(schema), ...Array.from({ length: MAX_PARTITIONS }, (_, p) => partitionQueueName(schema, p, MAX_PARTITIONS))];
}

/**
 * The registry of the queues a schema's producers and consumers have used, and which of them
 * hold work: kept by the queue store's {@link BatchFlowState} (a Redis set beside the schema's
 * queue, or a table in the PostgreSQL queue schema).
 */
export interface LayoutRegistry {
  /** Records that `queues` of `schema` are in use (idempotent). Producers call it before their first job in a queue. */
  registerQueues(prefix: string, schema: string, queues: readonly string[]): Promise<void>;
  /** The queues of `schema` recorded in its registry, any order. */
  registeredQueues(prefix: string, schema: string): Promise<string[]>;
  /** The queues among `names` that hold anything: a job in any state but completed, in the queue or in its DLQ. */
  queuesHoldingWork(prefix: string, names: readonly string[]): Promise<string[]>;
}

/** `names` in partition order (the schema's own queue first), keeping only names of `schema`. */
export function inPartitionOrder(schema: string, names: readonly string[]): string[] {
  // Parsed, not looked up among the 257 candidate names: every consumer runs this on each layout check.
  const positions = names.flatMap((name) => {
    const position = candidatePosition(schema, name);
    return position === undefined ? [] : [{ name, position }];
  });
  return positions.sort((a, b) => a.position - b.position).map(({ name }) => name);
}

/** Where `name` stands in {@link candidateQueues}: 0 for the schema's own queue, p + 1 for partition p, undefined for neither. */
function candidatePosition(schema: string, name: string): number | undefined {
  if (name === queueName(schema)) return 0;
  const head = `${schema}${PARTITION_SEPARATOR}`;
  if (!name.startsWith(head)) return undefined;
  const digits = name.slice(head.length);
  const partition = Number(digits);
  return /^(0|[1-9]\d*)$/.test(digits) && partition < MAX_PARTITIONS ? partition + 1 : undefined;
}

/** The queues of `schema` recorded in its registry, in partition order (the schema's own queue first). */
export async function registeredQueues(registry: LayoutRegistry, prefix: string, schema: string): Promise<string[]> {
  return inPartitionOrder(schema, await registry.registeredQueues(prefix, schema));
}

/**
 * The queues of `schema` outside `own` (the caller's layout) that hold work or dead letters: those
 * in the registry, and with `probeAll` every candidate name too (what producers of a version
 * without the registry wrote). Those found by the probe are added to the registry, so later
 * cheap checks keep seeing them. Partition order.
 */
export async function otherLayoutQueues(registry: LayoutRegistry, prefix: string, schema: string, own: readonly string[], probeAll = false): Promise<string[]> {
  const mine = new Set(own);
  const registered = new Set(await registeredQueues(registry, prefix, schema));
  const names = (probeAll ? candidateQueues(schema) : [...registered]).filter((name) => !mine.has(name));
  const holding = await registry.queuesHoldingWork(prefix, names);
  const unregistered = holding.filter((name) => !registered.has(name));
  if (unregistered.length > 0) await registry.registerQueues(prefix, schema, unregistered);
  return inPartitionOrder(schema, holding);
}
