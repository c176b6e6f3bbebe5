#!/usr/bin/env bash
# Benchmark (not a test): nt-analyze against GNU datamash and a numpy script
# computing the same statistics of latency send:rx_kernel from the same record
# CSV of NT_BENCH_N samples (default 10^7: 2*10^7 rows).  Prints wall time,
# throughput (samples/s, MB/s) and peak RSS (GNU time) of each, and the
# analyzer's peak RSS in streaming mode.
#   NT_BENCH_N=1000000 analyzer/bench/bench-analyzer.sh
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
A=${NT_BIN_REL:-$top/build/rel/bin}/nt-analyze
n=${NT_BENCH_N:-10000000}
[ -x "$A" ] || { echo "bench: build first (make): no $A" >&2; exit 1; }
for t in datamash /usr/bin/time; do
	command -v "$t" >/dev/null || { echo "bench: $t missing (analyzer/deps.txt)" >&2; exit 1; }
done
/usr/bin/python3 -c 'import numpy' || { echo "bench: python3-numpy missing" >&2; exit 1; }
w=$(mktemp -d "${TMPDIR:-/tmp}/nt-bench-analyzer.XXXXXX")
trap 'rm -rf "$w"' EXIT
csv=$w/records.csv

echo "== nt-analyze benchmark: $n samples of latency send:rx_kernel ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs, $(uname -r))"
# sender/receiver rows for each seq, in time order; latency 50000 cycles plus
# a squared-exponential tail (heavy enough for distinct p99.99), capped below
# the 1 ms period so that rows stay in time order
awk -v n="$n" 'BEGIN {
	srand(12345); print "source,event,cpu,tsc,irq,vector,seq,dom,aux,flags"
	t = 1000000000
	for (i = 0; i < n; i++) {
		t += 2596130; e = -log(1 - rand()); x = 50000 + int(20000 * e * e)
		if (x > 2500000) x = 2500000
		printf "sender,send,0,%.0f,,,%d,,,\nreceiver,rx_kernel,1,%.0f,,,%d,,,converted\n", t, i, t + x, i
	}
}' >"$csv"
bytes=$(stat -c %s "$csv")
mb=$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1e6 }')
echo "input: $csv, $mb MB, $((2 * n)) rows; page cache warmed by a first read"
cat "$csv" >/dev/null

# one measured run: label, then the command; prints time, rate, RSS and the result line(s)
measure() {
	local label=$1
	shift
	/usr/bin/time -f '%e %U %S %M' -o "$w/time" "$@" >"$w/out" 2>"$w/err" || {
		echo "$label: FAILED"; cat "$w/err"; return 1; }
	read -r sec us ss kb <"$w/time"
	awk -v l="$label" -v s="$sec" -v c="$us" -v y="$ss" -v kb="$kb" -v n="$n" -v b="$bytes" 'BEGIN {
		r = s > 0 ? n / s : 0; m = s > 0 ? b / s / 1e6 : 0
		printf "%-36s %7.2f s wall (%6.2f s CPU)  %10.0f samples/s  %6.1f MB/s  peak RSS %7.1f MB\n",
			l, s, c + y, r, m, kb / 1024 }'
	sed 's/^/      /' "$w/out" | head -n 14
}
measure "nt-analyze stats (exact)" "$A" stats --latency send:rx_kernel --tsc-hz 2596130000 "$csv"
measure "nt-analyze stats --streaming" "$A" stats --streaming --latency send:rx_kernel --tsc-hz 2596130000 "$csv"
measure "datamash (groupby seq, then stats)" sh -c "datamash -t, --header-in groupby 7 range 4 <'$csv' |
	datamash -t, count 2 min 2 max 2 mean 2 sstdev 2 median 2 perc:90 2 perc:99 2"
measure "numpy (loadtxt, join, stats)" /usr/bin/python3 "$top/analyzer/bench/bench-numpy.py" "$csv"
echo "notes: samples/s and MB/s over wall time; CPU = user + system (GNU time), steadier than wall"
echo "       time on a loaded machine; peak RSS = GNU time %M.  datamash has no p99.9/p99.99 (integer"
echo "       percentiles only).  All statistics in TSC cycles.  nt-analyze exact mode keeps every sample"
echo "       (8 bytes) and recent seq stamps; --streaming keeps a fixed 58 KiB histogram per measure."
