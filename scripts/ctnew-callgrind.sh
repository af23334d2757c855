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
funcs=${FUNCS:-0}
warm=${1:-300000} n=${2:-100000}
tmp=$(mktemp -d /tmp/ctnewcg.XXXXXX)
bundle=${3:-}
if [ -z "$bundle" ]; then
  bundle=$tmp/ctnew.mjs
  npx esbuild bench/conntrack-new-packets.ts --bundle --platform=node --format=esm --log-level=warning \
    --outfile="$bundle"
fi
m=$tmp/m
cgopt= nodeopt=
if [ "$funcs" = 1 ]; then
  cgopt=--dump-instr=yes
  nodeopt="--perf-basic-prof --logfile=$tmp/v8.log --no-logfile-per-isolate"
fi
valgrind --tool=callgrind --instr-atstart=no --cache-sim=yes --I1=32768,8,64 --D1=32768,8,64 \
  --LL=1048576,16,64 $cgopt --callgrind-out-file="$tmp/cg.out" \
  node --single-threaded $nodeopt "$dir/cg-batch.mjs" "$bundle" "$warm" "$n" "$m" >"$tmp/log" 2>&1 &
vg=$!
cg_measure "$vg" "$m" "$tmp/log"
pid=$cg_pid
cg_summary "$tmp/cg.out" "$n"
if [ "$funcs" = 1 ]; then
  node "$dir/cg-funcs.mjs" "$tmp/cg.out" "/tmp/perf-$pid.map" "$n"
  rm -f "/tmp/perf-$pid.map"
fi
rm -rf "$tmp"
