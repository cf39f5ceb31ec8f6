#!/usr/bin/env bash
# The full suite (`npm test`) on a Node.js major (`.ci/use-node.sh`), in this checkout: its
# better-sqlite3 build is first made to load on that Node (rebuilt against its headers when
# `npm ci` ran under another). Child processes the tests spawn (`node`, npm, the CLI's
# `#!/usr/bin/env node`) get the same Node from PATH.
# Usage: .ci/node-full.sh 24                 the full suite (needs the services running)
#        .ci/node-full.sh 24 test/unit ...   build, then only these test files (to try the entry)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=use-node.sh
source .ci/use-node.sh "$1"
shift
bf_sqlite_build .
if [ $# -eq 0 ]; then
  echo "== Node $BF_NODE_VERSION: full suite"
  npm test
  echo "== Node $BF_NODE_VERSION: full suite passed"
else
  echo "== Node $BF_NODE_VERSION: selected tests: $*"
  npm run build --silent
  node node_modules/vitest/vitest.mjs run "$@"
  echo "== Node $BF_NODE_VERSION: selected tests passed"
fi
