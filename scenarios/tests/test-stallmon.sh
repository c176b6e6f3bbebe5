#!/usr/bin/env bash
# nt-stallmon: usage errors, record file and metadata, a stall made on
# purpose (SIGSTOP for 400 ms) is found with the right length in both modes,
# and SIGINT flushes and exits 130.
# timeout: 120
set -uo pipefail
top=${NT_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
bin=${NT_BIN:-$top/build/san/bin}
sm=$bin/nt-stallmon
[ -x "$sm" ] || { echo "FAIL: $sm not built (make SAN=1)"; exit 1; }
tmp=$(mktemp -d /tmp/nt-scenarios-stallmon.XXXXXX)
pid=""
trap '[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }

# usage
"$sm" --help | grep -q -- '--threshold DUR' || bad "--help"
for args in "" "--out" "--out x --mode fast" "--out x --threshold 0" "--out x --cpu 0-x" \
	"--out x --cpu 1,1" "--out x --period 10us" "--out x --duration -1" "--out x extra" \
	"--out x --threshold 200" "--out x --cpu $(nproc) --duration 30"; do
	t0=$(date +%s)
	"$sm" $args >/dev/null 2>&1; rc=$?
	[ $rc -eq 2 ] || bad "'$args': exit $rc, want 2"
	[ $(( $(date +%s) - t0 )) -le 2 ] || bad "'$args': took $(( $(date +%s) - t0 )) s to say so"
done
"$sm" --out "$tmp/nodir/x.csv" --duration 0.1 >/dev/null 2>&1; rc=$?
[ $rc -eq 1 ] || bad "unwritable output: exit $rc, want 1"

# A stall on purpose: stop the monitor 400 ms; threshold 150 ms so that
# the machine's own stalls (tens of ms here) do not count.
for mode in tick spin; do
	out=$tmp/$mode.csv
	"$sm" --out "$out" --mode $mode --threshold 150ms --cpu 0 --duration 20 >"$tmp/$mode.log" 2>&1 &
	pid=$!
	sleep 1.5   # calibration (2 x 100 ms) and start-up, generous under ASan
	kill -STOP $pid; sleep 0.4; kill -CONT $pid
	sleep 0.5
	kill -INT $pid
	wait $pid; rc=$?; pid=""
	[ $rc -eq 130 ] || bad "$mode: SIGINT: exit $rc, want 130 ($(cat "$tmp/$mode.log"))"
	head -n1 "$out" | grep -qx 'source,event,cpu,tsc,irq,vector,seq,dom,aux,flags' || bad "$mode: CSV header"
	hz=$(sed -n 's/^tsc_hz=//p' "$out.meta")
	[ -n "$hz" ] || { bad "$mode: no tsc_hz in $out.meta"; continue; }
	for k in stall_mode=$mode stall_threshold_us=150000.000 stall_cpus=0 stop_signal=SIGINT exit_status=130; do
		grep -qx "$k" "$out.meta" || bad "$mode: meta lacks $k"
	done
	t0=$(sed -n 's/^tsc_start=//p' "$out.meta"); t1=$(sed -n 's/^tsc_end=//p' "$out.meta")
	# the longest stall must be ~400 ms (300..1500 ms: SIGCONT may be late),
	# start inside the watched window, on cpu 0
	awk -F, -v hz="$hz" -v t0="$t0" -v t1="$t1" '
		NR > 1 && $1 == "monitor" && $2 == "stall" {
			if ($3 != 0 || $4 + 0 < t0 + 0 || $4 + 0 > t1 + 0) { print "stall outside window/cpu: " $0; bad = 1 }
			ms = $9 / hz * 1000; if (ms > best) best = ms }
		END { if (best < 300 || best > 1500) { printf "longest stall %.1f ms, want about 400\n", best; bad = 1 }
		      else printf "longest stall %.1f ms (TSC @ %.3f MHz)\n", best, hz / 1e6
		      exit bad }' "$out" || bad "$mode: stall records ($(wc -l <"$out") lines)"
	n=$(sed -n 's/^stalls=//p' "$out.meta")
	[ "$n" = "$(($(wc -l <"$out") - 1))" ] || bad "$mode: stalls=$n but $(($(wc -l <"$out") - 1)) records"
	grep -q "^nt-stallmon: cpu 0: .* stalls, total .* us" "$tmp/$mode.log" || bad "$mode: summary line: $(cat "$tmp/$mode.log")"
done

# --duration ends by itself with exit 0, every online CPU watched by default
"$sm" --out "$tmp/d.csv" --duration 0.5 --quiet; rc=$?
[ $rc -eq 0 ] || bad "--duration: exit $rc"
[ "$(sed -n 's/^stall_cpus=//p' "$tmp/d.csv.meta" | tr ',' '\n' | wc -l)" = "$(nproc)" ] || bad "default CPUs != nproc"
exit $fail
