// Model-based randomized test of the write path (issue 18, item 6). fast-check generates cases
// (generator.ts): a table with one of the conflict strategies, versioned or not, exactly-once or
// not, keyed on a column the database may compare loosely; two or more workers, some of them
// child processes that get SIGKILLed; bursts of submits over a small key space, with poison rows
// and concurrent submits of the same keys in opposite orders. The runner plays a case against the
// real Redis and database, waits for quiescence, and the checker compares the table and the DLQ
// with the model (model.ts). A failure is shrunk, printed with its seed and path, and replays:
//
//   MODEL_DIALECTS=postgres MODEL_SEED=<seed> MODEL_PATH=<path> npx vitest run test/model
//
// In `npm test` each dialect runs a few cases within a time limit; `npm run test:model` runs a
// long campaign. Env (all optional):
//   MODEL_DIALECTS       postgres,mysql,sqlite
//   MODEL_RUNS           cases per dialect (25; the campaign 200)
//   MODEL_TIME_LIMIT_MS  per dialect, runs and shrinking together; no new case starts after it (40000; the campaign 30 min)
//   MODEL_SEED, MODEL_PATH   replay (fast-check's seed and counterexample path)
//   MODEL_QUIESCE_MS     longest wait for quiescence (30000); MODEL_STALL_MS: no progress for this long is a stall (16000; half without kills)
//   MODEL_KEY_VARIANTS, MODEL_CROSS_ORDERS, MODEL_KILLS, MODEL_POISON, MODEL_DELETES   0 switches a defect class off (all on)
//   MODEL_LOOKALIKE_KEYS 0 drops spellings the key column keeps apart ('a'/'A' on text), see generator.ts
//   MODEL_MAX_STEPS      steps per case (6); MODEL_VERBOSE=1 prints every case and its time
//   MODEL_DELETE_DEADLOCKS=0  holds unversioned PostgreSQL cases with deletes to no deadlock too (a known defect, see checker.ts)
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { check } from './checker.js';
import { caseArbitrary, DEFAULT_FLAGS, describeCase, type GeneratorFlags } from './generator.js';
import { openModelDb } from './model-db.js';
import type { Case, Dialect } from './model.js';
import { runCase, type RunBounds } from './runner.js';

const env = process.env;
const num = (name: string, fallback: number) => (env[name] === undefined || env[name] === '' ? fallback : Number(env[name]));
const on = (name: string, fallback: boolean) => (env[name] === undefined ? fallback : env[name] !== '0');

const DIALECTS = (env.MODEL_DIALECTS ?? 'postgres,mysql,sqlite').split(',').filter(Boolean) as Dialect[];
const RUNS = num('MODEL_RUNS', 25);
const TIME_LIMIT_MS = num('MODEL_TIME_LIMIT_MS', 40_000);
const BOUNDS: RunBounds = { quiesceMs: num('MODEL_QUIESCE_MS', 30_000), stallMs: num('MODEL_STALL_MS', 16_000) };
const FLAGS: GeneratorFlags = {
  keyVariants: on('MODEL_KEY_VARIANTS', DEFAULT_FLAGS.keyVariants),
  lookalikeKeys: on('MODEL_LOOKALIKE_KEYS', DEFAULT_FLAGS.lookalikeKeys),
  crossOrders: on('MODEL_CROSS_ORDERS', DEFAULT_FLAGS.crossOrders),
  kills: on('MODEL_KILLS', DEFAULT_FLAGS.kills),
  poison: on('MODEL_POISON', DEFAULT_FLAGS.poison),
  deletes: on('MODEL_DELETES', DEFAULT_FLAGS.deletes),
  maxSteps: num('MODEL_MAX_STEPS', DEFAULT_FLAGS.maxSteps),
};
const ALLOW = { deleteDeadlocks: on('MODEL_DELETE_DEADLOCKS', true) };
const SEED = env.MODEL_SEED ? Number(env.MODEL_SEED) : undefined;
const PATH = env.MODEL_PATH || undefined;
const VERBOSE = env.MODEL_VERBOSE === '1';

/** The env that regenerates the same cases (flags included), for the replay line of a failure. */
function replayEnv(dialect: Dialect, seed: number, path: string): string {
  const flags = (['MODEL_KEY_VARIANTS', 'MODEL_LOOKALIKE_KEYS', 'MODEL_CROSS_ORDERS', 'MODEL_KILLS', 'MODEL_POISON', 'MODEL_DELETES', 'MODEL_MAX_STEPS'] as const).filter((n) => env[n] !== undefined).map((n) => `${n}=${env[n]}`);
  return [`MODEL_DIALECTS=${dialect}`, ...flags, `MODEL_SEED=${seed}`, `MODEL_PATH=${path}`].join(' ');
}

describe('model: the write path against a model of what was acknowledged', () => {
  it.each(DIALECTS)(
    '%s: every acknowledged submit lands as the model allows, the DLQ holds exactly the poison, nothing is held',
    async (dialect) => {
      const db = await openModelDb(dialect);
      let runs = 0;
      try {
        const property = fc.asyncProperty(caseArbitrary(dialect, FLAGS), async (c: Case) => {
          const started = Date.now();
          const observation = await runCase(c, db, BOUNDS);
          const violations = check(c, observation, ALLOW);
          runs++;
          if (VERBOSE) console.log(`[model ${dialect}] case ${runs} ${violations.length === 0 ? 'ok' : 'FAILED'} in ${Date.now() - started} ms\n${describeCase(c)}${violations.length ? `\n  ${violations.join('\n  ')}` : ''}`);
          if (VERBOSE && violations.length > 0) console.log(JSON.stringify({ ...observation, acked: [...observation.acked] }));
          if (violations.length > 0) throw new Error(violations.join('\n'));
        });
        const details = await fc.check(property, {
          numRuns: RUNS,
          ...(SEED !== undefined && { seed: SEED }),
          ...(PATH !== undefined && { path: PATH }),
          interruptAfterTimeLimit: TIME_LIMIT_MS,
          markInterruptAsFailure: false,
        });
        if (details.failed) {
          const [shrunk] = details.counterexample ?? [];
          const error = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
          throw new Error(
            [
              `model violated on ${dialect} after ${details.numRuns} case(s), shrunk ${details.numShrinks} time(s)`,
              `replay: ${replayEnv(dialect, details.seed, details.counterexamplePath ?? '')} npx vitest run test/model`,
              'shrunk case:',
              shrunk ? describeCase(shrunk) : '(none)',
              'violations:',
              ...error.split('\n').map((line) => `  ${line}`),
            ].join('\n'),
          );
        }
        console.log(`[model ${dialect}] ${details.numRuns} case(s) passed (seed ${details.seed}${details.interrupted ? ', stopped at the time limit' : ''})`);
      } finally {
        await db.close();
      }
    },
    TIME_LIMIT_MS + BOUNDS.quiesceMs + 120_000,
  );
});
