#!/usr/bin/env bash
# timeout: 600
# The analyzer's threads change nothing but the time: stats and compare with
# --threads 1, 2 and 3 give byte-identical output on inputs large enough for
# every threaded path (a CSV and a binary file read ahead by their own
# threads, merged; over 2^20 samples for the split radix sort; the bootstrap
# with a fixed seed), exact and streaming.
. "$(dirname "$0")/lib.sh"

# 1.1 M send/rx pairs in the binary form (88 MB), stall windows among them
/usr/bin/python3 - "$w/big.bin" <<'EOF' || { echo "cannot write the test file"; exit 1; }
import sys
import numpy as np
n = 1_100_000
rng = np.random.default_rng(11)
t = 10**9 + np.arange(n, dtype=np.uint64) * 100000
lat = (20000 + rng.gamma(1.5, 8000, n)).astype(np.uint64)
rec = np.dtype([("tsc", "<u8"), ("seq", "<u8"), ("aux", "<u8"), ("irq", "<u4"), ("flags", "<u4"),
                ("vector", "<u2"), ("dom", "<u2"), ("cpu", "<u2"), ("source", "u1"), ("event", "u1")])
a = np.zeros(2 * n, dtype=rec)
a["aux"] = a["seq"] = np.uint64(2**64 - 1)
a["irq"] = 0xffffffff
a["vector"] = a["dom"] = 0xffff
a["tsc"][0::2], a["seq"][0::2], a["source"][0::2], a["event"][0::2], a["cpu"][0::2] = t, np.arange(n), 3, 1, 0
a["tsc"][1::2], a["seq"][1::2], a["source"][1::2], a["event"][1::2], a["cpu"][1::2] = t + lat, np.arange(n), 4, 2, 1
a["flags"][1::2] = 4
with open(sys.argv[1], "wb") as f:
    f.write(b"NTREC\r\n\x1a" + (1).to_bytes(4, "little") + (40).to_bytes(4, "little") + bytes(16))
    f.write(a.tobytes())
EOF
# a CSV over the read-ahead size (8 MiB): the stall monitor's windows and more pairs, later in time
awk 'BEGIN { print "source,event,cpu,tsc,irq,vector,seq,dom,aux,flags"; t = 200000000000; srand(3)
	for (i = 0; i < 110000; i++) { t += 100000; x = 20000 + int(rand() * rand() * 60000)
		printf "sender,send,0,%.0f,,,%d,,,\n", t, 2000000 + i
		if (i % 101 == 0) printf "monitor,stall,0,%.0f,,,,,%d,\n", t + 5, 30000
		printf "receiver,rx_kernel,1,%.0f,,,%d,,,converted\n", t + x, 2000000 + i } }' >"$w/more.csv"
[ "$(stat -c %s "$w/more.csv")" -gt $((8 << 20)) ] || echo "note: more.csv is below the read-ahead size"

L=(--json --latency send:rx_kernel --tsc-hz 2596130000)
for mode in exact streaming; do
	opt=()
	[ $mode = streaming ] && opt=(--streaming)
	for th in 1 2 3; do
		"$A" stats "${L[@]}" "${opt[@]}" --threads $th "$w/big.bin" "$w/more.csv" >"$w/s-$mode-$th.json" 2>"$w/err" ||
			{ check "exit $?" 0 "stats --threads $th ($mode): $(head -c 300 "$w/err")"; continue; }
	done
	for th in 2 3; do
		cmp -s "$w/s-$mode-1.json" "$w/s-$mode-$th.json" && check same same "stats $mode, --threads $th vs 1" ||
			check differ same "stats $mode, --threads $th vs 1"
	done
done
check "$(/usr/bin/python3 -c "import json; d = json.load(open('$w/s-exact-1.json')); m = d['measures'][0]
print(m['count'], d['stall_windows'] > 0, m['outside_stalls']['count'] < m['count'])")" "1210000 True True" \
	"samples, stall windows and the samples outside them"

# compare: two variants as files, the bootstrap with a fixed seed
cp "$w/big.bin" "$w/base.bin"
for th in 1 2 3; do
	"$A" compare --json --latency send:rx_kernel --tsc-hz 2596130000 --seed 9 --resamples 40 --threads $th \
		"$w/base.bin" "$w/more.csv" >"$w/c-$th.json" 2>"$w/err" || check "exit $?" 0 "compare --threads $th"
done
for th in 2 3; do
	cmp -s "$w/c-1.json" "$w/c-$th.json" && check same same "compare --threads $th vs 1" ||
		check differ same "compare --threads $th vs 1"
done
grep -q '"lo_cycles"' "$w/c-1.json" && check ok ok "bootstrap intervals present" || check none ok "bootstrap intervals present"

finish test-threads
