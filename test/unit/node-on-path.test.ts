import { describe, expect, it } from 'vitest';
import { runCommand } from '../helpers/cli.js';

// Tests spawn `node` by name too: npm, tsc and the CLI's bin start with `#!/usr/bin/env node`, and
// npm runs install scripts and `npm exec` with whatever `node` PATH gives. CI runs the suite on
// several Node.js majors by putting one first on PATH (`.ci/use-node.sh`); were PATH to give
// another (the machine's own), those children would quietly test that one instead.
describe('the node a child process finds on PATH', () => {
  // Set by `.ci/use-node.sh`: the Node.js this run was meant to test (else nothing to compare).
  it.runIf(process.env.BF_NODE_VERSION)('runs the tests themselves on the Node.js CI chose', () => {
    expect(process.version).toBe(process.env.BF_NODE_VERSION);
  });

  it('is the Node.js running the tests, directly and under npm', async () => {
    const direct = await runCommand('node', ['-p', 'process.version']);
    expect(direct.stdout.trim()).toBe(process.version);
    const underNpm = await runCommand('npm', ['exec', '--offline', '--', 'node', '-p', 'process.version'], { timeoutMs: 60_000 });
    expect(underNpm.stdout.trim(), underNpm.stderr).toBe(process.version);
  });
});
