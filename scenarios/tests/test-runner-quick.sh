#!/usr/bin/env bash
# Integration: scenarios/native-net-quick.scn (four variants, small counts)
# through the runner with the real loadgen, stall monitor and analyzer, then
# check the run folder: metadata, raw data per variant, summary, report,
# rendered figures; a second run never overwrites the first; the testbed is
# torn down.
# timeout: 600
set -uo pipefail
. "$(dirname "$0")/lib.sh"
need_native
[ "$(nproc)" -ge 2 ] || { echo "SKIP: the native variants use CPUs 0 and 1; this machine has one"; exit 77; }
need_progs nt-flood nt-send nt-recv nt-stallmon nt-hostinfo nt-analyze
res=$(mktemp -d /tmp/nt-scenarios-runner.XXXXXX)
trap 'rm -rf "$res"' EXIT
scn=$top/scenarios/native-net-quick.scn
count=$("$run" --parse "$scn" | sed -n 's/^probe.count=//p')

# Both runs get the same date part: the second must take the -2 suffix.
export NT_RUN_STAMP=20000101-000000
NT_RUN_BIN=$bin "$run" --results "$res" "$scn" >"$res/run1.log" 2>&1 &
rpid=$!
wait $rpid; rc=$?
cat "$res/run1.log"
[ $rc -eq 0 ] || bad "runner exit $rc"
[ -z "$(leftover_netns $rpid)" ] || bad "network namespaces left: $(leftover_netns $rpid)"
d=$res/20000101-000000-native-net-quick
[ -d "$d" ] || { bad "no run folder $d"; exit 1; }

# run metadata
for k in scenario testbed experiment started finished git_rev host kernel cpu_model ncpu \
	tsc_hz tsc_hz_method tsc_invariant variants baseline status; do
	[ -n "$(meta_get "$d/meta.txt" $k)" ] || bad "meta.txt lacks $k"
done
[ "$(meta_get "$d/meta.txt" status)" = complete ] || bad "status $(meta_get "$d/meta.txt" status)"
[ "$(meta_get "$d/meta.txt" scenario)" = native-net-quick ] || bad "scenario name"
# (others may commit while the test runs: the revision must exist, not be HEAD)
rev=$(meta_get "$d/meta.txt" git_rev)
if git -C "$top" rev-parse HEAD >/dev/null 2>&1; then
	[[ $rev =~ ^[0-9a-f]{40}$ ]] && git -C "$top" cat-file -e "$rev^{commit}" 2>/dev/null || bad "git_rev '$rev'"
fi
awk -v h="$(meta_get "$d/meta.txt" tsc_hz)" 'BEGIN { exit !(h > 1e8 && h < 1e10) }' || bad "tsc_hz implausible"
cmp -s "$scn" "$d/scenario.scn" || bad "scenario.scn is not the scenario text"
grep -q 'nt-send .*--count '"$count" "$d/commands.log" || bad "commands.log lacks the nt-send command"
grep -q 'ip netns del' "$d/commands.log" || bad "commands.log lacks the teardown"

# raw data per variant
for v in baseline pinned rps both; do
	vd=$d/$v
	[ "$(meta_get "$vd/meta.txt" variant)" = $v ] || bad "$v: meta variant"
	[ "$(meta_get "$vd/meta.txt" latency.0)" = send:rx_user ] || bad "$v: meta latency.0"
	[ "$(meta_get "$vd/meta.txt" status)" = ok ] || bad "$v: status $(meta_get "$vd/meta.txt" status)"
	ns=$(grep -c '^sender,send,' "$vd/send.csv" 2>/dev/null)
	[ "${ns:-0}" -eq "$count" ] || bad "$v: $ns send records, want $count"
	nr=$(grep -c '^receiver,rx_user,' "$vd/recv.csv" 2>/dev/null)
	nk=$(grep -c '^receiver,rx_kernel,' "$vd/recv.csv" 2>/dev/null)
	# veth does not drop at this rate; allow a little loss to a stall anyway
	[ "${nr:-0}" -ge $((count * 9 / 10)) ] && [ "${nk:-0}" -ge $((count * 9 / 10)) ] ||
		bad "$v: $nr rx_user / $nk rx_kernel records of $count"
	for f in send.csv.meta recv.csv.meta stall.csv stall.csv.meta flood.meta; do
		[ -s "$vd/$f" ] || bad "$v: no $f"
	done
	head -n1 "$vd/stall.csv" | grep -q '^source,event' || bad "$v: stall.csv header"
	[ "$(meta_get "$vd/flood.meta" sent)" -gt 0 ] 2>/dev/null || bad "$v: the flood sent nothing"
done
grep -q "recv_cpu=1" "$d/pinned/meta.txt" && grep -q "idle_guard=1" "$d/pinned/meta.txt" || bad "pinned settings"
grep -q "rps_cpus=1" "$d/rps/meta.txt" || bad "rps settings"
grep -q 'rps_cpus.*echo 2 >' "$d/commands.log" || grep -q 'echo\\ 2\\ ' "$d/commands.log" || bad "RPS mask 2 not written"

# analyzer output: the values, computed here from the raw files (not names)
for f in summary.csv summary.json report.md; do [ -s "$d/$f" ] || bad "no $f"; done
for v in baseline pinned rps both; do
	# latency.0 = send:rx_user joined by seq: count, min and max in cycles
	want=$(awk -F, 'FNR == 1 { next } FILENAME ~ /send.csv$/ && $2 == "send" { s[$7] = $4; next }
		$2 == "rx_user" && ($7 in s) { d = $4 - s[$7]; n++; if (n == 1 || d < lo) lo = d; if (n == 1 || d > hi) hi = d }
		END { printf "%d %d %d", n, lo, hi }' "$d/$v/send.csv" "$d/$v/recv.csv")
	got=$(awk -F, -v v="$v" 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
		$1 == v && $2 == "latency.0" { printf "%d %d %d", $c["count"], $c["min_cycles"], $c["max_cycles"] }' \
		"$d/summary.csv")
	[ "$got" = "$want" ] && echo "ok   $v latency.0 count/min/max cycles: $got" ||
		bad "$v: summary.csv latency.0 count/min/max '$got', from the raw files '$want'"
	# the report's row of the variant carries the same count
	grep -qE "^\| $v( \(baseline\))? \| ${want%% *} \|" "$d/report.md" ||
		bad "$v: report.md has no row with count ${want%% *}"
	# stall windows: as many as the monitor's records, and the report says so
	ns=$(grep -c '^monitor,stall,' "$d/$v/stall.csv")
	nw=$(python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
print(next(x["stall_windows"] for x in d["variants"] if x["name"] == sys.argv[2]))' "$d/summary.json" "$v" 2>/dev/null)
	[ "$nw" = "$ns" ] || bad "$v: summary.json stall_windows '$nw', stall.csv has $ns stall records"
done
if command -v python3 >/dev/null; then
	python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$d/summary.json" || bad "summary.json is not JSON"
fi
npng=0 npdf=0
for f in "$d"/plots/*; do
	[ -f "$f" ] || continue
	case "$f" in
	*.png) [ "$(head -c 4 "$f" | tail -c 3)" = PNG ] && npng=$((npng + 1)) || bad "$f is not a PNG" ;;
	*.pdf) [ "$(head -c 4 "$f")" = %PDF ] && npdf=$((npdf + 1)) || bad "$f is not a PDF" ;;
	esac
done
[ $npng -ge 1 ] || bad "no rendered PNG figure in $d/plots"
[ $npdf -ge 1 ] || bad "no rendered PDF figure in $d/plots"

# second run: a new folder, the first untouched
sum1=$(cd "$d" && find . -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum)
NT_RUN_BIN=$bin "$run" --results "$res" --variants baseline --no-analyze "$scn" >"$res/run2.log" 2>&1; rc=$?
[ $rc -eq 0 ] || { bad "second run exit $rc"; cat "$res/run2.log"; }
[ -d "$d-2" ] || bad "second run did not write $d-2"
[ "$(meta_get "$d-2/meta.txt" variants)" = baseline ] || bad "second run variants"
sum2=$(cd "$d" && find . -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum)
[ "$sum1" = "$sum2" ] || bad "the first run folder changed"
echo "run folder checked: $d ($npng PNG, $npdf PDF figures)"
exit $fail
