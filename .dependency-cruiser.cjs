// Dependency rules (issue 20): folders depend one way only. Run by `npm run deps` inside `npm test`.
//   errors   <- nothing of ours
//   core     -> errors
//   metrics  -> core, errors
//   drivers  -> core, errors (not queue, not each other's folders except the shared sql/ and driver-level files)
//   queue    -> core, errors, metrics (never drivers)
//   src      -> never consumers/, producers/, bench/, test/
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    { name: 'errors-import-nothing', severity: 'error', comment: 'src/errors imports nothing of ours: every other folder may use the errors.',
      from: { path: '^src/errors/' }, to: { path: '^(src|consumers|producers|bench|test)/', pathNot: '^src/errors/' } },
    { name: 'core-imports-only-errors', severity: 'error', comment: 'src/core knows neither queues, drivers, metrics nor the service.',
      from: { path: '^src/core/' }, to: { path: '^(src|consumers|producers|bench|test)/', pathNot: '^src/(core|errors)/' } },
    { name: 'core-no-bullmq-or-clients', severity: 'error', comment: 'src/core imports neither bullmq nor any database client.',
      from: { path: '^src/core/' }, to: { path: 'node_modules/(bullmq|ioredis|pg|mysql2|better-sqlite3)/' } },
    { name: 'metrics-imports-core-errors', severity: 'error',
      from: { path: '^src/metrics/' }, to: { path: '^(src|consumers|producers|bench|test)/', pathNot: '^src/(metrics|core|errors)/' } },
    { name: 'drivers-know-no-queues', severity: 'error', comment: 'Drivers import core and errors only (and their own folder, the shared sql/ and drivers/*.ts files).',
      from: { path: '^src/drivers/' }, to: { path: '^(src|consumers|producers|bench|test)/', pathNot: '^src/(drivers|core|errors)/' } },
    { name: 'driver-folders-apart', severity: 'error', comment: 'One driver folder never imports another (the shared code is in src/drivers/sql and src/drivers/*.ts).',
      from: { path: '^src/drivers/(postgres|mysql|sqlite|redis|module)/' }, to: { path: '^src/drivers/(postgres|mysql|sqlite|redis|module)/', pathNot: '^src/drivers/$1/' } },
    { name: 'queue-knows-no-drivers', severity: 'error', comment: 'The queue layer imports core, errors, metrics and tracing; drivers are handed to it as BatchExecutors.',
      from: { path: '^src/queue/' }, to: { path: '^(src|consumers|producers|bench|test)/', pathNot: '^src/(queue|core|errors|metrics|tracing)/' } },
    { name: 'tracing-imports-core-errors', severity: 'error', comment: 'Tracing (OpenTelemetry, loaded lazily) sits beside metrics: it imports core and errors only.',
      from: { path: '^src/tracing/' }, to: { path: '^(src|consumers|producers|bench|test)/', pathNot: '^src/(tracing|core|errors)/' } },
    { name: 'library-stands-alone', severity: 'error', comment: 'src/ is the library: it never imports the service, ingest, benchmark or tests.',
      from: { path: '^src/' }, to: { path: '^(consumers|producers|bench|test)/' } },
    { name: 'shipped-code-not-harness', severity: 'error', comment: 'What npm ships (src, consumers, producers) never imports the benchmark or the test harness.',
      from: { path: '^(consumers|producers)/' }, to: { path: '^(bench|test)/' } },
    { name: 'no-circular', severity: 'error', comment: 'No runtime import cycle between files anywhere in the repository (type-only imports aside; folder cycles: scripts/check-folder-deps.mjs).',
      from: { path: '^(src|consumers|producers|bench|test)/' }, to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'], extensions: ['.ts', '.js'] },
    exclude: { path: '^(dist|node_modules)/' },
  },
};
