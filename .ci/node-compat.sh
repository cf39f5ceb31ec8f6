#!/usr/bin/env bash
# The compatibility subset on another Node.js major (`.ci/use-node.sh`): the unit tests, the
# package-install test and one end-to-end run of the worker. Runs in a copy of the checkout
# (with its built dist/) whose node_modules are hard links of this one's, except better-sqlite3's
# native build, which is compiled in the copy against that Node's headers: the checkout's own
# build (made for the Node of the full suite) is left as it is.
# Usage: .ci/node-compat.sh 20   (needs `npm run build` done, and the services running)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=use-node.sh
source "$repo/.ci/use-node.sh" "$1"
work=$(mktemp -d "/tmp/bf-node$1-XXXXXX")
trap 'rm -rf "$work"' EXIT
tar -C "$repo" --exclude=./node_modules --exclude=./.git -cf - . | tar -C "$work" -xf -
cp -al "$repo/node_modules" "$work/node_modules"
# Hard links share their files: nothing may be rewritten in place, so whatever is cached goes first
# (and bf_sqlite_build removes the build directory before it rebuilds).
rm -rf "$work/node_modules/.vite" "$work/node_modules/.vitest"
bf_sqlite_build "$work"
echo "== Node $BF_NODE_VERSION: compatibility subset (unit tests, package install, worker e2e)"
cd "$work"
node node_modules/vitest/vitest.mjs run test/unit test/e2e/package-install.test.ts test/e2e/worker-module-sink.test.ts
echo "== Node $BF_NODE_VERSION: compatibility subset passed"
