#!/bin/sh
# Regenerates what the real nft makes of every ruleset of this folder (issue 16, "Real rulesets"):
# for each NAME.nft, in a fresh network namespace (nbx-nftcorpus-PID-NAME, deleted afterwards),
# replays its "# setup: " header lines (devices the ruleset names), loads it with `nft -f NAME.nft`
# (run from this folder: relative includes resolve here) and stores
#   NAME.list    `nft list ruleset`
#   NAME.list-a  `nft -a list ruleset`
#   NAME.json    `nft -j list ruleset` (one line, as nft prints it)
#   NAME.relist  only where it differs from NAME.list: `nft list ruleset` after `nft flush
#                ruleset; nft -f NAME.list` (nft's listing read back is not always a fixpoint:
#                a one-element set of a range or prefix becomes a plain match, evaluate.c)
# Needs root, ip netns and nft (the stored files came from Debian's nft 1.0.6). TZ is UTC: nft
# reads and prints `meta time`/`meta hour` in local time.
#   sh test/rules/nft-corpus/capture.sh [NAME ...]     # all rulesets when no name is given
set -u
export TZ=UTC
dir=$(cd "$(dirname "$0")" && pwd)
[ "$(id -u)" = 0 ] || { echo "capture.sh: needs root (ip netns add)" >&2; exit 3; }
command -v nft >/dev/null || { echo "capture.sh: nft is not installed" >&2; exit 3; }
cd "$dir" || exit 3
if [ $# -eq 0 ]; then set -- $(ls *.nft | sed 's/\.nft$//'); fi
fail=0
ns=
# The namespace being worked on goes also when the script is stopped.
trap '[ -n "$ns" ] && ip netns del "$ns" 2>/dev/null; rm -f "/tmp/$ns.setup"' EXIT
trap 'exit 130' INT TERM
for name in "$@"; do
  ns="nbx-nftcorpus-$$-$name"
  ip netns add "$ns" || { fail=1; continue; }
  ok=1
  grep '^# setup: ' "$name.nft" | sed 's/^# setup: //' > "/tmp/$ns.setup"
  while read -r line; do
    ip netns exec "$ns" sh -c "$line" || ok=0
  done < "/tmp/$ns.setup"
  rm -f "/tmp/$ns.setup"
  if [ $ok = 1 ] && ip netns exec "$ns" nft -f "$name.nft"; then
    ip netns exec "$ns" nft list ruleset > "$name.list" &&
      ip netns exec "$ns" nft -a list ruleset > "$name.list-a" &&
      ip netns exec "$ns" nft -j list ruleset > "$name.json" &&
      ip netns exec "$ns" nft flush ruleset &&
      ip netns exec "$ns" nft -f "$name.list" &&
      ip netns exec "$ns" nft list ruleset > "$name.relist" || ok=0
    if [ $ok = 1 ] && cmp -s "$name.list" "$name.relist"; then rm -f "$name.relist"; fi
  else
    ok=0
  fi
  ip netns del "$ns"
  ns=
  if [ $ok = 1 ]; then echo "ok   $name"; else echo "FAIL $name" >&2; fail=1; fi
done
exit $fail
