#!/bin/sh
# Instructions and cache misses per new connection under callgrind (bench/conntrack-new-packets.ts,
# whose head describes the method): WARM connections of warm-up, then N measured. Usage, from a
# checkout:
#   scripts/ctnew-callgrind.sh [WARM [N [BUNDLE]]]     (defaults 300000 100000, this checkout's)
# BUNDLE: an already bundled driver (e.g. another checkout's, for a before/after of the same day).
# FUNCS=1: also each JavaScript function's share (scripts/cg-funcs.mjs).
set -eu
dir=$(cd "$(dirname "$0")" && pwd)
. "$dir/cg-lib.sh"
warm=${1:-300000} n=${2:-100000}
tmp=$(mktemp -d /tmp/ctnewcg.XXXXXX)
bundle=${3:-}
if [ -z "$bundle" ]; then
  bundle=$tmp/ctnew.mjs
  npx esbuild bench/conntrack-new-packets.ts --bundle --platform=node --format=esm --log-level=warning \
    --outfile="$bundle"
fi
cg_run "$tmp" "$n" "$dir/cg-batch.mjs" "$bundle" "$warm" "$n" "$tmp/m"
rm -rf "$tmp"
