#!/usr/bin/env bash
# timeout: 300
# Ctrl-C: nt-analyze stops reading, still writes its summary for the input read
# so far, says so, and exits 130.  The input is a FIFO that this test keeps
# open and never ends, so the analyzer is always still reading when the signal
# comes (with a file, a fast machine could finish first and test nothing).
set -uo pipefail
A=${NT_BIN:-$(dirname "$0")/../../build/san/bin}/nt-analyze
w=$(mktemp -d)
apid=""
trap '[ -n "$apid" ] && kill -KILL "$apid" 2>/dev/null; exec 8>&-; rm -rf "$w"' EXIT
fail=0
n=300
for mode in "" --streaming; do
	rm -f "$w/in.csv"
	mkfifo "$w/in.csv"
	exec 8<>"$w/in.csv"
	"$A" stats $mode --json --latency send:rx_kernel "$w/in.csv" >"$w/out" 2>"$w/err" &
	apid=$!
	# n pairs (< 64 KiB: the pipe holds them), latency 300..306 cycles
	awk -v n=$n 'BEGIN { print "source,event,cpu,tsc,irq,vector,seq,dom,aux,flags"
		for (i = 0; i < n; i++) printf "sender,send,0,%d,,,%d,,,\nreceiver,rx_kernel,1,%d,,,%d,,,\n",
			1000 * i, i, 1000 * i + 300 + i % 7, i }' >&8
	sleep 1.5 # read by now; the analyzer waits for more
	kill -0 "$apid" 2>/dev/null || { echo "FAIL: the analyzer ended while its input was open ($mode)"; fail=1; }
	kill -INT "$apid"
	wait "$apid"; rc=$?
	apid=""
	exec 8>&-
	[ $rc = 130 ] || { echo "FAIL: exit $rc after SIGINT ($mode), want 130"; cat "$w/err"; fail=1; continue; }
	grep -q 'interrupted' "$w/err" || { echo "FAIL: no 'interrupted' message ($mode)"; fail=1; }
	/usr/bin/python3 - "$w/out" $n <<'PY' || fail=1
import json, sys
d = json.load(open(sys.argv[1]))
n = int(sys.argv[2])
m = d["measures"][0]
assert d["records"] == 2 * n, d["records"]
assert m["count"] == n, m
assert m["cycles"]["min"] == 300 and m["cycles"]["max"] == 306, m
print("partial summary:", d["records"], "records,", m["count"], "samples, min/max",
      m["cycles"]["min"], m["cycles"]["max"], "cycles")
PY
done
[ $fail = 0 ] && echo "test-interrupt: ok"
exit $fail
