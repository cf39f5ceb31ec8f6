import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/** A spawned process with its output lines collected, for tests that drive real processes. */
export interface Spawned {
  readonly child: ChildProcess;
  readonly lines: string[];
  /** Resolves with the exit code (or the signal name) when the process ends. */
  readonly exited: Promise<number | string>;
  /** Resolves when a line matching `pattern` has been printed. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /**
   * Resolves with the exit code like {@link exited}, or after `timeoutMs` kills the process
   * (SIGKILL) and rejects with its last output lines: a hung child then fails with what it printed
   * instead of a bare test timeout.
   */
  exitedWithin(timeoutMs: number): Promise<number | string>;
}

/** Spawns `node <args>` with extra env, collecting stdout and stderr lines. */
export function spawnNode(args: string[], env: Record<string, string>, cwd?: string): Spawned {
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const listeners = new Set<() => void>();
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => {
      lines.push(line);
      for (const l of listeners) l();
    });
  }
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  const waitForLine = (pattern: RegExp, timeoutMs = 30_000) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const found = lines.find((l) => pattern.test(l));
        if (found !== undefined) {
          listeners.delete(check);
          clearTimeout(timer);
          resolve(found);
        }
      };
      const timer = setTimeout(() => {
        listeners.delete(check);
        reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms; output:\n${lines.slice(-20).join('\n')}`));
      }, timeoutMs);
      listeners.add(check);
      check();
    });
  const exitedWithin = async (timeoutMs: number) => {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`still running after ${timeoutMs} ms (killed); last output:\n${lines.slice(-40).join('\n')}`));
      }, timeoutMs);
    });
    try {
      return await Promise.race([exited, timedOut]);
    } finally {
      clearTimeout(timer);
    }
  };
  return { child, lines, exited, waitForLine, exitedWithin };
}
