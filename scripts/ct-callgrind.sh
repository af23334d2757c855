#!/bin/sh
# Instructions and cache misses per packet of the conntrack established path under callgrind
# (bench/conntrack-packets.ts, whose head describes the method). Usage, from a checkout:
#   scripts/ct-callgrind.sh udp|tcp 0|1 CONNS PACKETS [BUNDLE]
# BUNDLE: an already bundled driver (default: bundles this checkout's to a temporary file).
# Prints Ir, D1mr+D1mw (D1 misses) and DLmr+DLmw (1 MB L2 misses) per packet.
# FUNCS=1: also each JavaScript function's share (node --perf-basic-prof, callgrind
# --dump-instr=yes, scripts/cg-funcs.mjs), e.g. tcpWindowAck's instructions per packet.
set -eu
. "$(dirname "$0")/cg-lib.sh"
funcs=${FUNCS:-0}
proto=$1 win=$2 conns=$3 packets=$4
tmp=$(mktemp -d /tmp/ctcg.XXXXXX)
bundle=${5:-}
if [ -z "$bundle" ]; then
  bundle=$tmp/ctp.mjs
  npx esbuild bench/conntrack-packets.ts --bundle --platform=node --format=esm --log-level=warning \
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
  node --single-threaded $nodeopt "$bundle" "$proto" "$win" "$conns" "$packets" "$m" >"$tmp/log" 2>&1 &
vg=$!
cg_measure "$vg" "$m" "$tmp/log"
pid=$cg_pid
cg_summary "$tmp/cg.out" "$packets"
if [ "$funcs" = 1 ]; then
  node "$(dirname "$0")/cg-funcs.mjs" "$tmp/cg.out" "/tmp/perf-$pid.map" "$packets"
  rm -f "/tmp/perf-$pid.map"
fi
rm -rf "$tmp"
