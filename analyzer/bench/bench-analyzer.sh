#!/usr/bin/env bash
# Benchmark (not a test): nt-analyze against DuckDB, GNU datamash and a numpy
# script computing the same statistics of latency send:rx_kernel from the same
# record file of NT_BENCH_N samples (default 10^7: 2*10^7 rows, ~990 MB CSV):
# nt-analyze exact and streaming, on the CSV and on its binary form (made by
# nt-analyze convert); DuckDB (npm package @duckdb/node-api, installed by this
# script into build/bench-node/; skipped with a message when npm cannot), datamash
# and numpy on the CSV.  NT_BENCH_ROUNDS rounds (default 3), interleaved: each
# round runs every tool once; medians and min-max are printed, with wall time,
# CPU time and peak RSS (GNU time), and a check that the tools agree.
#   NT_BENCH_N=1000000 NT_BENCH_ROUNDS=1 analyzer/bench/bench-analyzer.sh
#   NT_BENCH_SKIP="datamash numpy" ...   leave peers out
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
A=${NT_BIN_REL:-$top/build/rel/bin}/nt-analyze
n=${NT_BENCH_N:-10000000}
rounds=${NT_BENCH_ROUNDS:-3}
skip=" ${NT_BENCH_SKIP:-} "
hz=2596130000
py=/usr/bin/python3
duckdb_pkg=@duckdb/node-api@1.5.6-r.1
node_dir=${NT_BENCH_NODE_DIR:-$top/build/bench-node}
[ -x "$A" ] || { echo "bench: build first (make): no $A" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench: GNU time missing (analyzer/deps.txt)" >&2; exit 1; }
w=$(mktemp -d "${TMPDIR:-/tmp}/nt-bench-analyzer.XXXXXX")
trap 'rm -rf "$w"' EXIT
csv=$w/records.csv bin=$w/records.bin

echo "== nt-analyze benchmark: $n samples of latency send:rx_kernel, $rounds round(s)"
echo "   $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs, $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg)"

# the peers that can run here
tools=(na-csv na-csv-stream na-bin na-bin-stream)
if [[ $skip != *" duckdb "* ]]; then
	if [ ! -d "$node_dir/node_modules/@duckdb/node-api" ] && command -v npm >/dev/null; then
		echo "   installing $duckdb_pkg into $node_dir (npm)"
		timeout 600 npm install --prefix "$node_dir" --no-audit --no-fund --silent "$duckdb_pkg" >"$w/npm.log" 2>&1 ||
			{ echo "   npm install failed: $(tail -n 2 "$w/npm.log" | tr '\n' ' ')"; rm -rf "$node_dir/node_modules"; }
	fi
	if [ -d "$node_dir/node_modules/@duckdb/node-api" ] && command -v node >/dev/null; then
		cp "$top/analyzer/bench/bench-duckdb.mjs" "$node_dir/"
		tools+=(duckdb)
	else
		echo "   DuckDB skipped: no node, or npm could not install $duckdb_pkg"
	fi
fi
if [[ $skip != *" datamash "* ]]; then
	command -v datamash >/dev/null && tools+=(datamash) || echo "   datamash skipped: not installed"
fi
if [[ $skip != *" numpy "* ]]; then
	$py -c 'import numpy' 2>/dev/null && tools+=(numpy) || echo "   numpy skipped: python3-numpy not installed"
fi

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
/usr/bin/time -f '%e %U %S %M' -o "$w/time" "$A" convert -q "$csv" "$bin" || exit 1
read -r sec us ss kb <"$w/time"
bytes=$(stat -c %s "$csv") bbytes=$(stat -c %s "$bin")
echo "input: $(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1e6 }') MB CSV, $((2 * n)) rows;" \
	"binary form $(awk -v b="$bbytes" 'BEGIN { printf "%.1f", b / 1e6 }') MB (nt-analyze convert: $sec s, $((kb / 1024)) MB peak RSS)"
cat "$csv" "$bin" >/dev/null # page cache warm for every tool

label() {
	case $1 in
	na-csv) echo "nt-analyze stats, CSV" ;;
	na-csv-stream) echo "nt-analyze stats --streaming, CSV" ;;
	na-bin) echo "nt-analyze stats, binary" ;;
	na-bin-stream) echo "nt-analyze stats --streaming, binary" ;;
	duckdb) echo "DuckDB read_csv+join+quantile_cont" ;;
	datamash) echo "datamash groupby + stats (CSV)" ;;
	numpy) echo "numpy loadtxt + join + stats (CSV)" ;;
	esac
}
cmd_of() { # TOOL: its command in CMD
	local na=("$A" stats --json --latency send:rx_kernel --tsc-hz $hz)
	case $1 in
	na-csv) CMD=("${na[@]}" "$csv") ;;
	na-csv-stream) CMD=("${na[@]}" --streaming "$csv") ;;
	na-bin) CMD=("${na[@]}" "$bin") ;;
	na-bin-stream) CMD=("${na[@]}" --streaming "$bin") ;;
	duckdb) CMD=(node "$node_dir/bench-duckdb.mjs" "$csv") ;;
	datamash) CMD=(sh -c "datamash -t, --header-in groupby 7 range 4 <'$csv' |
		datamash -t, count 2 min 2 max 2 mean 2 sstdev 2 median 2 perc:90 2 perc:99 2") ;;
	numpy) CMD=("$py" "$top/analyzer/bench/bench-numpy.py" "$csv") ;;
	esac
}
declare -A r_wall r_cpu r_rss
nt=${#tools[@]}
printf '%-5s %-38s %9s %9s %10s\n' round tool "wall s" "CPU s" "peak MB"
for ((round = 1; round <= rounds; round++)); do
	for ((k = 0; k < nt; k++)); do
		t=${tools[$(( (k + round - 1) % nt ))]}
		cmd_of "$t"
		if ! /usr/bin/time -f '%e %U %S %M' -o "$w/time" "${CMD[@]}" >"$w/out.$t" 2>"$w/err.$t"; then
			echo "$round     $(label "$t"): FAILED: $(tail -n 3 "$w/err.$t" | tr '\n' ' ')"
			continue
		fi
		read -r sec us ss kb <"$w/time"
		cpu=$(awk -v a="$us" -v b="$ss" 'BEGIN { printf "%.2f", a + b }')
		r_wall[$t]+="$sec " r_cpu[$t]+="$cpu " r_rss[$t]+="$((kb / 1024)) "
		printf '%-5s %-38s %9s %9s %10s\n' "$round" "$(label "$t")" "$sec" "$cpu" "$((kb / 1024))"
	done
done

med() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END { if (!NR) { print "-"; exit }
	print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
mm() { tr ' ' '\n' | grep . | sort -g | awk 'NR == 1 { a = $1 } { b = $1 } END { if (NR) printf "%s-%s", a, b }'; }
echo
echo "Summary ($rounds round(s); medians, min-max; peak RSS = the largest seen; samples/s over the median wall time):"
printf '%-38s %14s %16s %9s %10s %12s\n' tool "wall s" "wall min-max" "CPU s" "peak MB" "samples/s"
for t in "${tools[@]}"; do
	[ -n "${r_wall[$t]:-}" ] || continue
	m=$(echo "${r_wall[$t]}" | med)
	printf '%-38s %14s %16s %9s %10s %12s\n' "$(label "$t")" "$m" "$(echo "${r_wall[$t]}" | mm)" \
		"$(echo "${r_cpu[$t]}" | med)" "$(echo "${r_rss[$t]}" | tr ' ' '\n' | sort -n | tail -n1)" \
		"$(awk -v n="$n" -v s="$m" 'BEGIN { printf "%.2e", (s > 0 ? n / s : 0) }')"
done
if [ -n "${r_wall[duckdb]:-}" ] && [ -n "${r_wall[na-csv]:-}" ]; then
	dw=$(echo "${r_wall[duckdb]}" | med) dm=$(echo "${r_rss[duckdb]}" | tr ' ' '\n' | sort -n | tail -n1)
	for t in na-csv na-bin; do
		[ -n "${r_wall[$t]:-}" ] || continue
		awk -v l="$(label "$t")" -v a="$dw" -v b="$(echo "${r_wall[$t]}" | med)" -v ma="$dm" \
			-v mb="$(echo "${r_rss[$t]}" | tr ' ' '\n' | sort -n | tail -n1)" 'BEGIN {
			printf "%s: %.1fx faster than DuckDB on the CSV (median wall), %.2f of its peak RSS\n",
				l, (b > 0 ? a / b : 0), (ma > 0 ? mb / ma : 0) }'
	done
fi
echo "streaming mode peak RSS: CSV $(echo "${r_rss[na-csv-stream]:-}" | tr ' ' '\n' | sort -n | tail -n1) MB," \
	"binary $(echo "${r_rss[na-bin-stream]:-}" | tr ' ' '\n' | sort -n | tail -n1) MB"
echo "agreement (exact statistics to 1e-9 relative, streaming quantiles to 2^-8; datamash not compared:"
echo "integer percentiles only):"
args=(nt-analyze-csv="$w/out.na-csv")
for t in na-bin na-csv-stream na-bin-stream duckdb numpy; do
	id=${t/na-/nt-analyze-}
	[ -s "$w/out.$t" ] && args+=("${id/-stream/-streaming}=$w/out.$t")
done
$py "$top/analyzer/bench/bench-agree.py" "${args[@]}"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "notes: CPU = user + system (GNU time), steadier than wall time on a loaded machine; all statistics in"
echo "       TSC cycles.  nt-analyze exact mode keeps every sample (8 bytes); --streaming keeps a fixed 58 KiB"
echo "       histogram per measure.  DuckDB and nt-analyze may use both CPUs; datamash and numpy use one."
