# Shared by the callgrind drivers (ct-callgrind.sh, ctnew-callgrind.sh, kp-callgrind.sh): source it, start the driver
# under valgrind with --instr-atstart=no in the background, then call cg_measure with its job's pid
# and the driver's marker path, and cg_summary on the output. The driver writes M.ready (its pid)
# once warmed up, measures between M.go and M.done, and exits on M.stop.

# Counts only the measured packets: instrumentation on at M.go, off at M.done. Sets cg_pid.
cg_measure() {
  vg=$1 m=$2 log=$3
  while [ ! -f "$m.ready" ]; do
    kill -0 "$vg" 2>/dev/null || { cat "$log"; exit 1; }
    sleep 1
  done
  cg_pid=$(cat "$m.ready")
  callgrind_control -i on "$cg_pid" >/dev/null
  touch "$m.go"
  # Polled often: the driver spins (existsSync) until instrumentation is off, and each poll is counted.
  while [ ! -f "$m.done" ]; do sleep 0.02; done
  callgrind_control -i off "$cg_pid" >/dev/null
  touch "$m.stop"
  wait "$vg"
  grep -v '^==' "$log" || true
}

# Ir, D1mr+D1mw (D1 misses) and DLmr+DLmw (1 MB L2 misses) per packet of callgrind output $1.
cg_summary() {
  awk -v n="$2" '
    /^events:/ { for (i = 2; i <= NF; i++) ev[i - 1] = $i }
    /^totals:|^summary:/ { for (i = 2; i <= NF; i++) t[ev[i - 1]] = $i }
    END {
      printf "Ir %.1f  D1 misses %.2f  L2 misses %.2f per packet\n", t["Ir"] / n,
        (t["D1mr"] + t["D1mw"]) / n, (t["DLmr"] + t["DLmw"]) / n
    }' "$1"
}

# The whole run: node with the driver's arguments ($3...) under callgrind, instrumentation off until
# the driver's M.go (M is $1/m, which the caller passes among the arguments), the summary per unit
# ($2 units measured) and, with FUNCS=1, V8's symbol map and each JavaScript function's share
# (scripts/cg-funcs.mjs). $1: a temporary directory for the markers, the log and cg.out.
cg_run() {
  tmp=$1 units=$2
  shift 2
  cgopt='' nodeopt=''
  if [ "${FUNCS:-0}" = 1 ]; then
    cgopt=--dump-instr=yes
    nodeopt="--perf-basic-prof --logfile=$tmp/v8.log --no-logfile-per-isolate"
  fi
  # shellcheck disable=SC2086 # cgopt and nodeopt are lists of options
  valgrind --tool=callgrind --instr-atstart=no --cache-sim=yes --I1=32768,8,64 --D1=32768,8,64 \
    --LL=1048576,16,64 $cgopt --callgrind-out-file="$tmp/cg.out" \
    node --single-threaded $nodeopt "$@" >"$tmp/log" 2>&1 &
  cg_measure $! "$tmp/m" "$tmp/log"
  cg_summary "$tmp/cg.out" "$units"
  if [ "${FUNCS:-0}" = 1 ]; then
    node "$(dirname "$0")/cg-funcs.mjs" "$tmp/cg.out" "/tmp/perf-$cg_pid.map" "$units"
    rm -f "/tmp/perf-$cg_pid.map"
  fi
}
