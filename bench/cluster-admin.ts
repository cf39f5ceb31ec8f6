import type { RedisCluster } from './redis-cluster.js';
import { RedisAdmin, type BenchAdmin } from './redis-admin.js';

/** One master's counters at one moment. */
export interface MasterReading {
  readonly port: number;
  /** `INFO cpu` used_cpu_user + used_cpu_sys, in seconds. */
  readonly cpuSeconds: number;
  /** Calls of every command so far (`INFO commandstats`). */
  readonly calls: number;
}

/**
 * A {@link BenchAdmin} over the masters of a private cluster: memory and CPU are summed over them,
 * keys are read and deleted on each. Every `cpuSeconds()` reading also records each master's CPU
 * and command calls, so a scenario run by `runQueueScenario` (which reads the CPU when its clock
 * starts and stops) can split its figures per master afterwards ({@link readings}).
 */
export class ClusterAdmin implements BenchAdmin {
  /** Every `cpuSeconds()` reading so far, oldest first, one entry per master. */
  readonly readings: MasterReading[][] = [];

  private constructor(readonly masters: ReadonlyArray<{ readonly port: number; readonly admin: RedisAdmin }>) {}

  /**
   * Connects to every master of `cluster` that serves slots (replicas are left out: they serve no
   * client here; a replica can still read as a slot-less master just after the cluster was created).
   */
  static async of(cluster: RedisCluster): Promise<ClusterAdmin> {
    const masters = (await cluster.nodes()).filter((n) => n.role === 'master' && !n.failed && n.slots.length > 0);
    return new ClusterAdmin(masters.map((n) => ({ port: n.port, admin: new RedisAdmin(cluster.node(n.port)) })));
  }

  async usedMemory(): Promise<number> {
    return sum(await Promise.all(this.masters.map((m) => m.admin.usedMemory())));
  }

  async cpuSeconds(): Promise<number> {
    const reading = await Promise.all(this.masters.map(async (m) => ({ port: m.port, cpuSeconds: await m.admin.cpuSeconds(), calls: await m.admin.commandCalls() })));
    this.readings.push(reading);
    return sum(reading.map((r) => r.cpuSeconds));
  }

  async keysUnder(prefix: string): Promise<Array<{ key: string; bytes: number }>> {
    return (await Promise.all(this.masters.map((m) => m.admin.keysUnder(prefix)))).flat().sort((a, b) => b.bytes - a.bytes);
  }

  async deletePrefix(prefix: string): Promise<void> {
    await Promise.all(this.masters.map((m) => m.admin.deletePrefix(prefix)));
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.masters.map((m) => m.admin.close()));
  }
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
