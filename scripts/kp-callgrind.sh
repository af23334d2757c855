#!/bin/sh
# Instructions and cache misses per packet of the nft first-packet walk under callgrind
# (bench/kube-proxy-nft-packets.ts, whose head describes the method): only the measured packets
# are counted (Skb.load in ring modes, the walk, the driver's loop), none of the start-up.
# Usage, from a checkout:
#   scripts/kp-callgrind.sh SERVICES SPREAD PACKETS cold|ring|own-cold|own-ring [BUNDLE]
# BUNDLE: an already bundled driver (default: bundles this checkout's to a temporary file).
# KP_CG_NODE_FLAGS: more node flags (e.g. --print-opt-code --print-opt-code-filter=runFast, whose
# listing lands in the log, printed).
# KP_CG_KEEP=DIR keeps the callgrind output there (for callgrind_annotate / a perf map: the driver
# runs with --perf-basic-prof, its map is /tmp/perf-PID.map).
# Prints Ir, D1mr+D1mw (D1 misses) and DLmr+DLmw (1 MB L2 misses) per packet.
set -eu
. "$(dirname "$0")/cg-lib.sh"
services=$1 spread=$2 packets=$3 mode=$4
tmp=$(mktemp -d /tmp/kpcg.XXXXXX)
bundle=${5:-}
if [ -z "$bundle" ]; then
  bundle=$tmp/kpp.mjs
  npx esbuild bench/kube-proxy-nft-packets.ts --bundle --platform=node --format=esm --log-level=warning \
    --outfile="$bundle"
fi
bundle=$(realpath "$bundle")
m=$tmp/m
# From the temporary directory: V8 writes its isolate-*.log there, not in the checkout.
cd "$tmp"
valgrind --tool=callgrind --instr-atstart=no --dump-instr=yes --cache-sim=yes --I1=32768,8,64 \
  --D1=32768,8,64 --LL=1048576,16,64 --callgrind-out-file="$tmp/cg.out" \
  node --single-threaded --perf-basic-prof ${KP_CG_NODE_FLAGS:-} "$bundle" "$services" "$spread" "$packets" "$mode" "$m" \
  >"$tmp/log" 2>&1 &
vg=$!
cg_measure "$vg" "$m" "$tmp/log"
pid=$cg_pid
cg_summary "$tmp/cg.out" "$packets"
if [ -n "${KP_CG_KEEP:-}" ]; then
  mkdir -p "$KP_CG_KEEP"
  cp "$tmp/cg.out" "$KP_CG_KEEP/cg.out"
  cp "/tmp/perf-$pid.map" "$KP_CG_KEEP/perf.map" 2>/dev/null || true
  echo "kept in $KP_CG_KEEP (pid $pid)"
fi
rm -rf "$tmp"
