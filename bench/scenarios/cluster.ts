import { Producer, type Schema } from '../../src/index.js';
import { keySlot } from '../../src/queue/key-slot.js';
import { queueKeyPrefix, schemaQueueNames } from '../../src/queue/queue-names.js';
import { partitionedSchema, type BenchSink } from '../bench-sinks.js';
import { ClusterAdmin, type MasterReading } from '../cluster-admin.js';
import { scenarioNames, type Attempt, type BenchContext } from '../context.js';
import { pump } from '../pump.js';
import { RedisCluster } from '../redis-cluster.js';
import type { ClusterMasterShare, ScenarioResult } from '../result.js';
import { makeRow } from '../rows.js';
import { DEFAULT_CONSUMER, DEFAULTS_SUBMITTERS } from './defaults.js';
import { runQueueScenario } from './queue-run.js';

/** Partition counts the cluster scenario measures, one run each on the same cluster. */
export const CLUSTER_PARTITIONS: readonly number[] = Object.freeze([1, 2, 4]);

/**
 * The opt-in `cluster` scenario on one sink: starts a private Redis Cluster (3 masters + 3
 * replicas, `bench/redis-cluster.ts`), runs the defaults scenario on it once per
 * {@link CLUSTER_PARTITIONS} entry, and always stops the servers and removes their dir (signals
 * included, through the cluster's own hooks).
 */
export async function runClusterScenarios(ctx: BenchContext, sink: BenchSink, attempt: Attempt): Promise<void> {
  let cluster: RedisCluster;
  try {
    cluster = await RedisCluster.start();
  } catch (err) {
    await attempt('cluster', sink.name, () => Promise.reject(err instanceof Error ? new Error(`starting the Redis Cluster: ${err.message}`) : err));
    return;
  }
  try {
    for (const partitions of CLUSTER_PARTITIONS) await attempt('cluster', sink.name, () => runOnCluster(ctx, sink, cluster, partitions));
  } finally {
    await cluster.stop();
  }
}

/**
 * What a user gets on a cluster: a default Producer (64 concurrent single `submit()` calls, as in
 * the defaults scenario) and one default BatchConsumer process, for one schema with `partitions`
 * queues; plus each master's CPU and command calls over the same span.
 */
async function runOnCluster(ctx: BenchContext, sink: BenchSink, cluster: RedisCluster, partitions: number): Promise<ScenarioResult> {
  const admin = await ClusterAdmin.of(cluster);
  const runCtx: BenchContext = { ...ctx, runId: `${ctx.runId}_p${partitions}`, admin };
  const { target, prefix } = scenarioNames(runCtx, sink.name, 'cluster');
  const schema = partitionedSchema(sink, target, partitions);
  const nodes = cluster.seeds;
  const rows = ctx.options.rows;
  let jobs = NaN;
  try {
    const result = await measure();
    const failover = await failedOver(cluster, admin);
    if (failover) throw failover;
    return result;
  } catch (err) {
    // A changed set of masters (a failover) explains the error it causes (MOVED on a per-node reading) better than the error does.
    throw (await failedOver(cluster, admin).catch(() => undefined)) ?? err;
  } finally {
    await admin.close();
  }

  async function measure(): Promise<ScenarioResult> {
    const queues = await queuesByMaster(cluster, schema, prefix);
    const { result } = await runQueueScenario(runCtx, {
      kind: 'cluster',
      sink,
      description: `defaults on a private Redis Cluster (3 masters + 3 replicas): one schema with ${partitions} partition(s), ${DEFAULTS_SUBMITTERS} concurrent single submit() calls into a default Producer, one default BatchConsumer process`,
      rows,
      consumer: { ...DEFAULT_CONSUMER, partitions, clusterNodes: nodes },
      producer: () => {
        const producer = new Producer({ connection: { cluster: { nodes } }, schemas: [schema], prefix });
        return {
          run: () => pump(rows, 1, DEFAULTS_SUBMITTERS, (first) => producer.submit(schema, sink.toRequestRow(makeRow(first), target))),
          // runQueueScenario closes the producer before it deletes the keys: the last moment to read the job counters.
          close: async () => {
            jobs = await jobsAdded(cluster, queues, prefix).catch(() => NaN);
            await producer.close();
          },
        };
      },
    });
    const [before, after] = [admin.readings[0], admin.readings.at(-1)];
    if (!before || !after || admin.readings.length < 2) throw new Error('the cluster scenario took no CPU readings');
    return { ...result, cluster: { partitions, jobs, masters: shares(before, after, queues, rows) } };
  }
}

/** An error naming the change when the slot-serving masters are no longer the ones measured (a failover during the run). */
async function failedOver(cluster: RedisCluster, admin: ClusterAdmin): Promise<Error | undefined> {
  const now = (await cluster.nodes()).filter((n) => n.role === 'master' && !n.failed && n.slots.length > 0).map((n) => n.port).sort();
  const measured = admin.masters.map((m) => m.port).sort();
  if (now.join() === measured.join()) return undefined;
  return new Error(`the masters changed during the run (a failover): they were ${measured.join(', ')}, now ${now.join(', ')}; per-master figures discarded`);
}

/** The schema's partition queues per master port: the master serving each queue's slot (its hash tag). */
async function queuesByMaster(cluster: RedisCluster, schema: Schema, prefix: string): Promise<Map<number, string[]>> {
  const byPort = new Map<number, string[]>();
  for (const queue of schemaQueueNames(schema)) {
    const master = await cluster.masterOfSlot(keySlot(`${queueKeyPrefix(prefix, queue)}:${queue}:wait`));
    byPort.set(master.port, [...(byPort.get(master.port) ?? []), queue]);
  }
  return byPort;
}

/** Jobs added to the schema's queues: BullMQ's job id counter (`<prefix>:<queue>:id`) of each partition, read on its master. */
async function jobsAdded(cluster: RedisCluster, queues: ReadonlyMap<number, string[]>, prefix: string): Promise<number> {
  let jobs = 0;
  for (const [port, names] of queues) {
    for (const queue of names) jobs += Number(await cluster.command(port, 'GET', `${queueKeyPrefix(prefix, queue)}:${queue}:id`));
  }
  return jobs;
}

/** Each master's CPU and command calls between two readings. */
function shares(before: readonly MasterReading[], after: readonly MasterReading[], queues: ReadonlyMap<number, string[]>, rows: number): ClusterMasterShare[] {
  const deltas = after.map((a) => {
    const b = before.find((r) => r.port === a.port);
    return { port: a.port, cpuSeconds: a.cpuSeconds - (b?.cpuSeconds ?? NaN), calls: a.calls - (b?.calls ?? NaN) };
  });
  const totalCalls = deltas.reduce((sum, d) => sum + d.calls, 0);
  return deltas.map((d) => ({
    node: `127.0.0.1:${d.port}`,
    queues: queues.get(d.port) ?? [],
    cpuSeconds: d.cpuSeconds,
    cpuMicrosPerRow: (d.cpuSeconds * 1e6) / rows,
    calls: d.calls,
    callShare: d.calls / totalCalls,
  }));
}
