# Shared by the callgrind drivers (ct-callgrind.sh, kp-callgrind.sh): source it, start the driver
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
  while [ ! -f "$m.done" ]; do sleep 1; done
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
