#!/usr/bin/env bash
# timeout: 180
# loadgen over loopback (inside a fresh network namespace): every packet of
# nt-send and nt-flood accounted for by nt-recv; loss / reordering /
# duplicates / strays counted right for a crafted sequence; the converted
# kernel stamps lie between the send and the user stamps; Ctrl-C flushes.
. "$(dirname "$0")/lib.sh"
need_netns
[ -x "$HELPER" ] || { echo "missing $HELPER (make SAN=1 test-bins)"; exit 1; }
N=$(mkns lo)
inN() { ip netns exec "$N" "$@"; }
S=$NT_BIN/nt-send R=$NT_BIN/nt-recv F=$NT_BIN/nt-flood

wait_bound() { # wait until something listens on UDP port $1 in the namespace
	for _ in $(seq 100); do
		inN ss -Hlun "sport = :$1" | grep -q . && return 0
		sleep 0.1
	done
	echo "nobody listens on port $1"; return 1
}

echo "== 1. nt-send -> nt-recv, 300 packets at 1 ms (CSV and binary records)"
ip netns exec "$N" "$R" --bind 127.0.0.1:9001 --count 300 --timeout 20 --out "$tmp/r.csv" >"$tmp/r.log" 2>&1 &
rp=$!
wait_bound 9001
inN "$S" --dst 127.0.0.1:9001 --count 300 --interval 1ms --run-id 4242 --out "$tmp/s.bin" >"$tmp/s.log" 2>&1
expect_eq "nt-send exit" $? 0
wait $rp; expect_eq "nt-recv exit" $? 0
cat "$tmp/s.log" "$tmp/r.log"
m=$tmp/r.csv.meta
for k in received:300 unique:300 lost:0 reordered:0 duplicates:0 stray:0 run_id:4242 no_kernel_ts:0 \
	order_violations_kernel_after_user:0 order_violations_kernel_before_send:0 records_packets:300; do
	expect_eq "recv ${k%%:*}" "$(meta "$m" "${k%%:*}")" "${k#*:}"
done
expect_eq "rx_kernel rows" "$(rows "$tmp/r.csv" rx_kernel)" 300
expect_eq "rx_user rows" "$(rows "$tmp/r.csv" rx_user)" 300
expect_eq "distinct rx seqs 0..299" "$(awk -F, '$2=="rx_user" && $7>=0 && $7<300 {print $7}' "$tmp/r.csv" | sort -un | wc -l)" 300
expect_eq "converted flag on every rx_kernel" "$(awk -F, '$2=="rx_kernel" && $10!="converted"' "$tmp/r.csv" | wc -l)" 0
expect_eq "binary send file size (32 + 40 x 300)" "$(stat -c %s "$tmp/s.bin")" $((32 + 40 * 300))
expect_eq "send meta count" "$(meta "$tmp/s.bin.meta" count)" 300
expect_eq "send meta run_id" "$(meta "$tmp/s.bin.meta" run_id)" 4242
for k in tsc_hz tsc_hz_method jitter_median_ns jitter_p99_ns host clocksource; do
	[ -n "$(meta "$tmp/s.bin.meta" $k)" ] && ok "send meta has $k" || no "send meta lacks $k"
done
u=$(meta "$m" clock_convert_uncert_ns)
awk -v u="$u" 'BEGIN { exit !(u > 0 && u < 50000) }' && ok "conversion uncertainty $u ns" || no "conversion uncertainty '$u'"
# the send stamp of each packet precedes its kernel RX stamp: checked here from the files too
if command -v od >/dev/null; then
	# seq -> send tsc from the binary file (tsc at offset 0, seq at 8 of each record)
	od -An -v -tu8 -w40 -j32 "$tmp/s.bin" | awk '{print $2, $1}' >"$tmp/send.txt"
	bad=$(awk 'NR==FNR { s[$1] = $2; next } $2=="rx_kernel" { if (!($7 in s) || $4 + 0 < s[$7] + 0) n++ } END { print n + 0 }' \
		"$tmp/send.txt" FS=, "$tmp/r.csv")
	expect_eq "send records read back" "$(wc -l <"$tmp/send.txt")" 300
	expect_eq "rx_kernel before its send stamp (from files)" "$bad" 0
fi

echo "== 2. crafted: 0,1,2,2,4,3,6,7,7 + 4 strays, 8 expected"
ip netns exec "$N" "$R" --bind 127.0.0.1:9002 --count 8 --run-id 5 --timeout 2 --out "$tmp/c.csv" >"$tmp/c.log" 2>&1 &
rp=$!
wait_bound 9002
inN "$HELPER" 127.0.0.1:9002 5 0,1,2,2,4,3,x,s,v,o5,6,7,7 >/dev/null
wait $rp; expect_eq "nt-recv exit" $? 0
cat "$tmp/c.log"
m=$tmp/c.csv.meta
for k in unique:7 lost:1 duplicates:2 reordered:1 stray:4 stray_short:1 stray_bad_magic:1 stray_bad_version:1 \
	stray_other_run:1 received:9 stop_reason:"timeout (nothing received)"; do
	expect_eq "crafted ${k%%:*}" "$(meta "$m" "${k%%:*}")" "${k#*:}"
done
# without --run-id the first valid packet's run id is kept
ip netns exec "$N" "$R" --bind 127.0.0.1:9003 --count 3 --timeout 2 --out "$tmp/d.csv" >/dev/null 2>&1 &
rp=$!
wait_bound 9003
inN "$HELPER" 127.0.0.1:9003 8 o0,1,2,o9,o1,o2 >/dev/null
wait $rp
expect_eq "locked run_id" "$(meta "$tmp/d.csv.meta" run_id)" 9
expect_eq "other run" "$(meta "$tmp/d.csv.meta" stray_other_run)" 2
expect_eq "out of range (seq 9 of 3)" "$(meta "$tmp/d.csv.meta" out_of_range)" 1

echo "== 3. nt-flood -> nt-recv, 20000 packets at 40 kpps: sent = received + socket drops"
before=$(udp_snmp "$N" RcvbufErrors)
ip netns exec "$N" "$R" --bind 127.0.0.1:9004 --count 20000 --run-id 77 --timeout 3 --out "$tmp/f.bin" >"$tmp/fr.log" 2>&1 &
rp=$!
wait_bound 9004
inN "$F" --dst 127.0.0.1:9004 --count 20000 --rate 40k --run-id 77 --summary "$tmp/flood.meta" >"$tmp/f.log" 2>&1
expect_eq "nt-flood exit" $? 0
wait $rp; expect_eq "nt-recv exit" $? 0
after=$(udp_snmp "$N" RcvbufErrors)
cat "$tmp/f.log" "$tmp/fr.log"
expect_eq "flood sent" "$(meta "$tmp/flood.meta" sent)" 20000
lost=$(meta "$tmp/f.bin.meta" lost)
expect_eq "lost = kernel receive-buffer drops" "$lost" $((after - before))
expect_eq "unique + lost" $(( $(meta "$tmp/f.bin.meta" unique) + lost )) 20000
expect_eq "duplicates" "$(meta "$tmp/f.bin.meta" duplicates)" 0
expect_eq "reordered" "$(meta "$tmp/f.bin.meta" reordered)" 0
expect_eq "binary rx file size" "$(stat -c %s "$tmp/f.bin")" $((32 + 40 * 2 * $(meta "$tmp/f.bin.meta" records_packets)))
pps=$(meta "$tmp/flood.meta" pps)
awk -v p="$pps" 'BEGIN { exit !(p > 0 && p <= 40000 * 1.05) }' && ok "flood never above its rate ($pps pps <= 42000)" ||
	no "flood rate $pps pps above 40000 x 1.05"

echo "== 4. Ctrl-C: nt-recv and nt-send flush and exit 130"
ip netns exec "$N" "$R" --bind 127.0.0.1:9005 --duration 60 --out "$tmp/i.csv" >"$tmp/i.log" 2>&1 &
rp=$!
wait_bound 9005
inN "$S" --dst 127.0.0.1:9005 --count 50 --interval 1ms --quiet
sleep 0.3
kill -INT $rp; wait $rp; expect_eq "nt-recv exit after SIGINT" $? 130
expect_eq "rx_user rows after SIGINT" "$(rows "$tmp/i.csv" rx_user)" 50
expect_eq "interrupted" "$(meta "$tmp/i.csv.meta" interrupted)" 1
grep -q "received 50" "$tmp/i.log" && ok "summary printed" || no "no summary after SIGINT: $(cat "$tmp/i.log")"
ip netns exec "$N" "$S" --dst 127.0.0.1:9005 --count 5000 --interval 1ms --out "$tmp/j.csv" >"$tmp/j.log" 2>&1 &
sp=$!
sleep 1.5
kill -TERM $sp; wait $sp; expect_eq "nt-send exit after SIGTERM" $? 130
n=$(meta "$tmp/j.csv.meta" count)
expect_eq "send rows = meta count after SIGTERM" "$(rows "$tmp/j.csv" send)" "$n"
[ "${n:-0}" -gt 0 ] && ok "sent $n before SIGTERM" || no "nothing sent before SIGTERM"
grep -q "send jitter" "$tmp/j.log" && ok "jitter printed" || no "no jitter summary after SIGTERM"
finish test-loopback
