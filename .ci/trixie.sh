#!/usr/bin/env bash
# The HTTP suites and the sim-mode end-to-end test once more on Node VERSION (default 24.22.3)
# inside a `debootstrap --variant=minbase trixie` chroot (Debian 13, glibc 2.41), where
# @btc-vision/uwebsockets.js 20.57 loads (its Linux binaries need glibc >= 2.38; this
# machine's Debian 12 has 2.36). The node_modules are the ones .ci/node-matrix.sh built for
# that Node's ABI (better-sqlite3 built against glibc 2.36 runs on 2.41), next to a fresh copy
# of the built project.
# Usage: .ci/trixie.sh [VERSION]   (after .ci/node-matrix.sh [--prepare] VERSION)
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

v="${1:-24.22.3}"
major="${v%%.*}"
home="$(node_home "$v")"
tree="$(abi_project "$v")" || { say "run .ci/node-matrix.sh --prepare $v first"; exit 1; }
R="$CI_CACHE/trixie"
MIRROR="${OPTCHAIN_DEBIAN_MIRROR:-http://deb.debian.org/debian}"

mounted() { findmnt -rn -o TARGET | grep -q "^$R/$1\$"; }
cleanup() {
  local m
  for m in opt/results dev proc; do
    if mounted "$m"; then umount -R "$R/$m" 2>/dev/null || umount -R -l "$R/$m"; fi
  done
}
trap cleanup EXIT INT TERM

# A chroot left half-built (a mirror hiccup) is removed and made again; never while anything
# is mounted inside it (rm -rf through a bind mount of /dev would empty the host's /dev).
bootstrap() {
  [ -f "$R/.optchain-ci-ok" ] && { say "  reusing $R ($(cat "$R/.optchain-ci-ok"))"; return 0; }
  cleanup
  if findmnt -rn -o TARGET | grep -q "^$R/"; then say "  mounts left under $R; not removing it"; return 1; fi
  rm -rf "$R"
  debootstrap --variant=minbase trixie "$R" "$MIRROR" >"$CI_RESULTS/debootstrap.log" 2>&1 || {
    tail -20 "$CI_RESULTS/debootstrap.log"
    findmnt -rn -o TARGET | grep "^$R/" | sort -r | xargs -r -n1 umount -l
    return 1
  }
  echo "debootstrap trixie $(date -u +%F)" >"$R/.optchain-ci-ok"
}
stage "Debian 13 chroot: debootstrap --variant=minbase trixie" retry 3 bootstrap

install_into_chroot() {
  rm -rf "$R/opt/node" "$R/opt/optchain" && mkdir -p "$R/opt/results" "$R/tmp"
  cp -a "$home" "$R/opt/node"
  cp -a "$tree" "$R/opt/optchain"
  mount -t proc proc "$R/proc"
  mount --rbind /dev "$R/dev"
  mount --bind "$CI_RESULTS" "$R/opt/results"
  say "  $(chroot "$R" getconf GNU_LIBC_VERSION), Node $(chroot "$R" /opt/node/bin/node -v)"
}
stage "Debian 13 chroot: Node $v and the project copy installed" install_into_chroot

in_chroot() {
  chroot "$R" /usr/bin/env -i PATH=/opt/node/bin:/usr/bin:/bin HOME=/root TMPDIR=/tmp CI=true LANG=C.UTF-8 \
    ${BACKEND_EXPECT_TRIXIE:+BACKEND_EXPECT_TRIXIE="$BACKEND_EXPECT_TRIXIE"} "$@"
}
mapfile -t tests < <(matrix_tests)
status=0
# shellcheck disable=SC2016  # expanded by the chroot's bash
stage "Node $v on Debian 13 (chroot), glibc 2.41: HTTP suites + serve e2e (${#tests[@]} files)" \
  in_chroot bash -c 'cd /opt/optchain && node node_modules/vitest/vitest.mjs run --reporter=default --reporter=json --outputFile.json="/opt/results/$0.json" "$@"' \
  "node$major-trixie" "${tests[@]}" || status=1
# The point of this cell: uWS 20.57 must really be the backend here.
# shellcheck disable=SC2016  # expanded by the chroot's bash
stage "Node $v on Debian 13 (chroot): which HTTP backend serves" \
  in_chroot bash -c 'cd /opt/optchain && node .ci/backend-probe.mjs --expect "${BACKEND_EXPECT_TRIXIE:-^uws @btc-vision/uwebsockets\.js 20\.57\.}"' || status=1
exit "$status"
