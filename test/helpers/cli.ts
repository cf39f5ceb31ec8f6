import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

/** The built `batchflow` CLI, run as a user would (`npm run build` first; `npm test` does). */
export const CLI = fileURLToPath(new URL('../../dist/consumers/cli.js', import.meta.url));

/** Fails with a clear message when the CLI has not been built. */
export function assertCliBuilt(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
}

/** What one CLI run printed and how it ended. */
export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Options of {@link runCommand} and {@link runCli}. */
export interface RunOptions {
  readonly env?: Record<string, string>;
  readonly cwd?: string;
  /** Written to the child's stdin, which is then closed. @defaultValue nothing */
  readonly input?: string;
  /** The child is killed with SIGKILL and the call rejects after this long. @defaultValue 60000 */
  readonly timeoutMs?: number;
  /**
   * Like a slow reader (a pager, a loaded machine): after each chunk of the child's stdout, the
   * next is read only this much later, so a child that exits with output not yet in the pipe
   * loses it. @defaultValue 0 (read at once)
   */
  readonly stdoutReadDelayMs?: number;
}

/** Runs any program to completion, capturing what it printed (npm, tsc, an installed bin). */
export function runCommand(command: string, args: readonly string[], options: RunOptions = {}): Promise<CliRun> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const readDelayMs = options.stdoutReadDelayMs ?? 0;
    if (readDelayMs > 0) {
      child.stdout.on('data', () => {
        child.stdout.pause();
        setTimeout(() => child.stdout.resume(), readDelayMs);
      });
    }
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} ${args.join(' ')} did not finish within ${timeoutMs} ms; stdout:\n${stdout}\nstderr:\n${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    // A child that exits without reading its stdin (tsc, sh) closes the pipe: EPIPE here is not a failure.
    child.stdin.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') reject(error);
    });
    child.stdin.end(options.input ?? '');
  });
}

/** Runs `node dist/consumers/cli.js <args>` (or another build's `script`) to completion. */
export function runCli(args: readonly string[], options: RunOptions & { script?: string } = {}): Promise<CliRun> {
  return runCommand(process.execPath, [options.script ?? CLI, ...args], options);
}

/** A TCP port that was free a moment ago, for a worker's HTTP server. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Sums every sample of `metric` in Prometheus text, over all label sets. */
export function sumMetric(text: string, metric: string): number {
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${metric}{`) || line.startsWith(`${metric} `))
    .reduce((sum, line) => sum + Number(line.trim().split(/\s+/).at(-1)), 0);
}
