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
proto=$1 win=$2 conns=$3 packets=$4
tmp=$(mktemp -d /tmp/ctcg.XXXXXX)
bundle=${5:-}
if [ -z "$bundle" ]; then
  bundle=$tmp/ctp.mjs
  npx esbuild bench/conntrack-packets.ts --bundle --platform=node --format=esm --log-level=warning \
    --outfile="$bundle"
fi
cg_run "$tmp" "$packets" "$bundle" "$proto" "$win" "$conns" "$packets" "$tmp/m"
rm -rf "$tmp"
