#!/bin/sh
# Regenerates the committed FlatBuffers TypeScript from schemas/chain.fbs
# (docs/engineering.md §3.1-3.2). Usage: sh schemas/gen-fbs.sh [out-dir]   (default src/chain/fbs)
#
# The generator version is pinned: `--ts-flat-files` means "one self-contained file that
# imports only 'flatbuffers'" in flatc 2.0.8, but switched to an esbuild bundling flow in
# 23.x (google/flatbuffers PR #7510), and other versions format the output differently.
# Set FLATC to use another binary of the same version.
set -eu

want="2.0.8"
flatc="${FLATC:-flatc}"
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
out="${1:-$root/src/chain/fbs}"

if ! command -v "$flatc" >/dev/null 2>&1; then
  echo "gen-fbs: flatc not found (need flatc $want: apt-get install -y flatbuffers-compiler on Debian 12, or set FLATC)" >&2
  exit 127
fi
got="$("$flatc" --version 2>/dev/null | sed -n 's/^flatc version //p')"
if [ "$got" != "$want" ]; then
  echo "gen-fbs: flatc $want required, found '${got:-unknown}' at $(command -v "$flatc")" >&2
  exit 1
fi

mkdir -p "$out"
# --gen-mutable: mutate_served_at() lets a cached body get its servedAt patched in place.
"$flatc" --ts --ts-flat-files --gen-mutable -o "$out" "$here/chain.fbs"
echo "gen-fbs: wrote $out/chain_generated.ts (flatc $got)"
