#!/usr/bin/env bash
# Ctrl-C during a run: the runner stops the programs (they flush), tears the
# testbed down, marks the run and the variant interrupted, keeps what was
# recorded, and exits 130.
# timeout: 300
set -uo pipefail
. "$(dirname "$0")/lib.sh"
need_native
[ "$(nproc)" -ge 2 ] || { echo "SKIP: the native variants use CPUs 0 and 1; this machine has one"; exit 77; }
need_progs nt-flood nt-send nt-recv nt-stallmon nt-hostinfo
res=$(mktemp -d /tmp/nt-scenarios-intr.XXXXXX)
rpid=""
trap '[ -n "$rpid" ] && kill -KILL -- -"$rpid" 2>/dev/null; rm -rf "$res"' EXIT
# 3000 probes at 5 ms: 15 s per variant, interrupted after a few seconds.
sed -e 's/^probe.count *=.*/probe.count = 3000/' -e 's/^name *=.*/name = intr/' \
	"$top/scenarios/native-net-quick.scn" >"$res/intr.scn"

# Job control: the runner gets its own process group and SIGINT is not
# ignored in it (as for a command typed at a terminal).
set -m
NT_RUN_BIN=$bin "$run" --results "$res" --no-analyze "$res/intr.scn" >"$res/run.log" 2>&1 &
rpid=$!
set +m
# wait until the first variant is measuring
for ((i = 0; i < 300; i++)); do
	grep -q "variant 1/4 'baseline':" "$res/run.log" && break
	sleep 0.1
done
sleep 4
t0=$(date +%s)
kill -INT -- -"$rpid"   # Ctrl-C: SIGINT to the whole process group
wait "$rpid"; rc=$?
el=$(( $(date +%s) - t0 ))
pg=$rpid; rpid=""
cat "$res/run.log"
[ $rc -eq 130 ] || bad "exit $rc after Ctrl-C, want 130"
[ $el -le 30 ] || bad "took $el s to stop"
[ -z "$(leftover_netns $pg)" ] || bad "network namespaces left: $(leftover_netns $pg)"
sleep 0.5
left=$(pgrep -g "$pg" 2>/dev/null | tr '\n' ' ')
[ -z "$left" ] || bad "processes left in the runner's group: $left"
d=$(ls -d "$res"/*-intr 2>/dev/null | head -n1)
[ -n "$d" ] || { bad "no run folder"; exit 1; }
[ "$(meta_get "$d/meta.txt" status)" = interrupted ] || bad "run status $(meta_get "$d/meta.txt" status)"
[ "$(meta_get "$d/baseline/meta.txt" status)" = interrupted ] || bad "variant status"
[ ! -d "$d/pinned" ] || bad "the runner went on to the next variant"
ns=$(grep -c '^sender,send,' "$d/baseline/send.csv" 2>/dev/null)
nr=$(grep -c '^receiver,rx_user,' "$d/baseline/recv.csv" 2>/dev/null)
[ "${ns:-0}" -gt 50 ] && [ "${ns:-0}" -lt 3000 ] || bad "send records kept: ${ns:-none} (want some, not all)"
[ "${nr:-0}" -gt 50 ] || bad "receive records kept: ${nr:-none}"
[ -s "$d/baseline/stall.csv.meta" ] || bad "stall monitor data not flushed"
grep -q 'ip netns del' "$d/commands.log" || bad "teardown not in commands.log"
echo "interrupted after ${el}s to stop: kept $ns send and $nr receive records"
exit $fail
