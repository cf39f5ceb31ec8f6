import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ChildMessage, ChildStats, ConsumerChildConfig, ParentMessage } from './protocol.js';

/** A running consumer child, seen from the parent. */
export interface ConsumerHandle {
  /** Rows the child has committed so far (updated every 250 ms). */
  readonly done: () => number;
  /** Resolves with the child's clock when it has committed `expected` rows. */
  readonly reached: Promise<number>;
  /** Closes the consumer gracefully and returns what it measured. */
  stop(): Promise<ChildStats>;
  /** Ends the child at once (after a failure elsewhere). */
  kill(): void;
}

const CHILD = fileURLToPath(new URL('./consumer-child.js', import.meta.url));

/**
 * Forks `consumer-child.js` and resolves once its consumer is connected, so start-up is never
 * part of a measurement. With `cpuProfDir`, the child writes a V8 CPU profile there on exit.
 */
export async function spawnConsumer(config: ConsumerChildConfig, cpuProfDir?: string): Promise<ConsumerHandle> {
  const execArgv = cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`, `--cpu-prof-name=consumer-${config.kind}-${config.target}.cpuprofile`] : [];
  const child = fork(CHILD, [JSON.stringify(config)], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let done = 0;
  let failure: Error | undefined;
  const waiters = new Map<ChildMessage['type'], Array<(m: ChildMessage) => void>>();
  const failed = new Promise<never>((_, reject) => {
    // 'close', not 'exit': it comes after the IPC channel has delivered every message.
    child.on('close', (code, signal) => reject(failure ?? new Error(`consumer child exited early (code ${code}, signal ${signal})`)));
  });
  failed.catch(() => undefined); // observed through the promises below
  child.on('message', (message: ChildMessage) => {
    if (message.type === 'progress' || message.type === 'reached') done = Math.max(done, message.done);
    if (message.type === 'failed') failure = new Error(`consumer child failed: ${message.message}`);
    for (const resolve of waiters.get(message.type)?.splice(0) ?? []) resolve(message);
  });
  const next = <T extends ChildMessage['type']>(type: T) =>
    Promise.race([new Promise<Extract<ChildMessage, { type: T }>>((resolve) => waiters.set(type, [...(waiters.get(type) ?? []), resolve as (m: ChildMessage) => void])), failed]);
  const reached = next('reached').then((m) => m.atMs);
  reached.catch(() => undefined);
  try {
    await next('ready');
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return {
    done: () => done,
    reached,
    async stop() {
      const final = next('final');
      child.send({ type: 'stop' } satisfies ParentMessage);
      const { stats } = await final;
      await new Promise((resolve) => (child.exitCode === null ? child.once('exit', resolve) : resolve(undefined)));
      return stats;
    },
    kill: () => void child.kill('SIGKILL'),
  };
}
