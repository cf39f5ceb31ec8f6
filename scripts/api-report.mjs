#!/usr/bin/env node
// The public API report (issue 20): Microsoft api-extractor reads the built declarations of each
// published entry point (package.json "exports") and writes etc/<entry>.api.md.
//
//   node scripts/api-report.mjs           check: fails when the public surface differs from the committed report
//   node scripts/api-report.mjs --write   update the reports (commit them with the change)
//
// Run after `npm run build` (it reads dist/src/**/*.d.ts).
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Extractor, ExtractorConfig } from '@microsoft/api-extractor';

const ROOT = process.cwd();
const WRITE = process.argv.includes('--write');
const ENTRIES = {
  'bullmq-batchflow': 'dist/src/index.d.ts',
  'bullmq-batchflow-plugin': 'dist/src/plugin.d.ts',
  'bullmq-batchflow-postgres': 'dist/src/drivers/postgres/index.d.ts',
  'bullmq-batchflow-mysql': 'dist/src/drivers/mysql/index.d.ts',
  'bullmq-batchflow-sqlite': 'dist/src/drivers/sqlite/index.d.ts',
  'bullmq-batchflow-redis': 'dist/src/drivers/redis/index.d.ts',
};

mkdirSync(join(ROOT, 'etc'), { recursive: true });
let failed = 0;
for (const [name, entry] of Object.entries(ENTRIES)) {
  if (!existsSync(join(ROOT, entry))) throw new Error(`${entry} is missing: run npm run build first`);
  const config = ExtractorConfig.prepare({
    configObject: {
      projectFolder: ROOT,
      mainEntryPointFilePath: join(ROOT, entry),
      compiler: { tsconfigFilePath: join(ROOT, 'tsconfig.json'), skipLibCheck: true },
      apiReport: { enabled: true, reportFileName: `${name}.api.md`, reportFolder: join(ROOT, 'etc'), reportTempFolder: join(ROOT, 'dist/api-extractor') },
      docModel: { enabled: false },
      dtsRollup: { enabled: false },
      tsdocMetadata: { enabled: false },
      messages: {
        // Messages carry the source file's path, so they stay out of the report: it records the
        // surface only, and moving a file does not change it. Types a public signature mentions
        // but no entry exports are printed as warnings (not failures) for the reviewer.
        compilerMessageReporting: { default: { logLevel: 'warning' } },
        extractorMessageReporting: {
          default: { logLevel: 'none', addToApiReportFile: false },
          'ae-forgotten-export': { logLevel: process.argv.includes('--verbose') ? 'warning' : 'none', addToApiReportFile: false },
        },
        tsdocMessageReporting: { default: { logLevel: 'none', addToApiReportFile: false } },
      },
    },
    configObjectFullPath: join(ROOT, 'api-extractor.json'),
    packageJsonFullPath: join(ROOT, 'package.json'),
  });
  const result = Extractor.invoke(config, { localBuild: WRITE, showVerboseMessages: false, messageCallback: (m) => { if (m.logLevel === 'verbose' || m.logLevel === 'info') m.handled = true; } });
  if (result.apiReportChanged && !WRITE) {
    console.error(`✘ the public API of ${entry} changed: etc/${name}.api.md is out of date (the new one is in dist/api-extractor/${name}.api.md).`);
    console.error('  If the change is intended, run `npm run api:write` and commit the report.');
    failed++;
  } else if (!result.succeeded && !result.apiReportChanged) {
    console.error(`✘ api-extractor failed on ${entry} (${result.errorCount} errors)`);
    failed++;
  } else {
    console.log(`✔ ${entry}: ${WRITE && result.apiReportChanged ? 'report written' : 'matches'} etc/${name}.api.md`);
  }
}
process.exitCode = failed ? 1 : 0;
