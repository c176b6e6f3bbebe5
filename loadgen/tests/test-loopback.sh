#!/usr/bin/env bash
# timeout: 180
# loadgen over loopback (inside a fresh network namespace): every packet of
# nt-send and nt-flood accounted for by nt-recv; loss / reordering /
# duplicates / strays counted right for a crafted sequence; the converted
# kernel stamps lie between the send and the user stamps; Ctrl-C flushes.
. "$(dirname "$0")/lib.sh"
need_netns
[ -x "$HELPER" ] || { echo "missing $HELPER (make SAN=1 test-bins)"; exit 1; }
mkns N lo
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
for k in received:300 unique:300 packets_lost:0 reordered:0 duplicates:0 stray:0 run_id:4242 no_kernel_ts:0 \
	order_violations_kernel_after_user:0 order_violations_kernel_before_send:0 records:600 records_lost:0; do
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
ip netns exec "$N" "$R" --bind 127.0.0.1:9002 --count 8 --run-id 5 --timeout 60 --out "$tmp/c.csv" >"$tmp/c.log" 2>&1 &
rp=$!
wait_bound 9002
inN "$HELPER" 127.0.0.1:9002 5 0,1,2,2,4,3,x,s,v,o5,6,7,7 >/dev/null
# seq 5 never comes: stop the receiver once it has read everything (no timing assumption)
drain_stop "$N" 9002 $rp; expect_eq "nt-recv exit after SIGINT" $? 130
cat "$tmp/c.log"
m=$tmp/c.csv.meta
for k in unique:7 packets_lost:1 duplicates:2 reordered:1 stray:4 stray_short:1 stray_bad_magic:1 stray_bad_version:1 \
	stray_other_run:1 received:9; do
	expect_eq "crafted ${k%%:*}" "$(meta "$m" "${k%%:*}")" "${k#*:}"
done
# without --run-id the first valid packet's run id is kept
ip netns exec "$N" "$R" --bind 127.0.0.1:9003 --count 3 --timeout 60 --out "$tmp/d.csv" >/dev/null 2>&1 &
rp=$!
wait_bound 9003
inN "$HELPER" 127.0.0.1:9003 8 o0,1,2,o9,o1,o2 >/dev/null
wait $rp
expect_eq "locked run_id" "$(meta "$tmp/d.csv.meta" run_id)" 9
expect_eq "other run" "$(meta "$tmp/d.csv.meta" stray_other_run)" 2
expect_eq "out of range (seq 9 of 3)" "$(meta "$tmp/d.csv.meta" out_of_range)" 1

echo "== 3. nt-flood -> nt-recv, 20000 packets at 40 kpps: sent = received + socket drops"
before=$(udp_snmp "$N" RcvbufErrors)
ip netns exec "$N" "$R" --bind 127.0.0.1:9004 --count 20000 --run-id 77 --timeout 60 --out "$tmp/f.bin" >"$tmp/fr.log" 2>&1 &
rp=$!
wait_bound 9004
inN "$F" --dst 127.0.0.1:9004 --count 20000 --rate 40k --run-id 77 --meta "$tmp/flood.meta" >"$tmp/f.log" 2>&1
expect_eq "nt-flood exit" $? 0
drain_stop "$N" 9004 $rp; rc=$?
rc_ok $rc && ok "nt-recv exit $rc" || no "nt-recv exit $rc"
after=$(udp_snmp "$N" RcvbufErrors)
cat "$tmp/f.log" "$tmp/fr.log"
expect_eq "flood sent" "$(meta "$tmp/flood.meta" sent)" 20000
expect_eq "flood back end on lo (auto: no raw frames on loopback)" "$(meta "$tmp/flood.meta" backend)" sendmmsg
lost=$(meta "$tmp/f.bin.meta" packets_lost)
expect_eq "lost = kernel receive-buffer drops" "$lost" $((after - before))
expect_eq "unique + lost" $(( $(meta "$tmp/f.bin.meta" unique) + lost )) 20000
expect_eq "duplicates" "$(meta "$tmp/f.bin.meta" duplicates)" 0
expect_eq "reordered" "$(meta "$tmp/f.bin.meta" reordered)" 0
expect_eq "binary rx file size" "$(stat -c %s "$tmp/f.bin")" $((32 + 40 * $(meta "$tmp/f.bin.meta" records)))
pps=$(meta "$tmp/flood.meta" pps)
awk -v p="$pps" 'BEGIN { exit !(p > 0 && p <= 40000 * 1.05) }' && ok "flood never above its rate ($pps pps <= 42000)" ||
	no "flood rate $pps pps above 40000 x 1.05"

echo "== 4. no catch-up bursts: 2000 sends at 20 us (faster than one send takes here)"
inN "$S" --dst 127.0.0.1:9010 --count 2000 --interval 20us --out "$tmp/b.csv" >"$tmp/b.log" 2>&1
expect_eq "nt-send exit" $? 0
cat "$tmp/b.log"
expect_eq "send rows" "$(rows "$tmp/b.csv" send)" 2000
# every send at or after its slot; every slot after the previous send (no back-to-back catch-up);
# slots strictly increasing; late flag exactly when actual - scheduled > the threshold
thr=$(meta "$tmp/b.csv.meta" late_threshold_ns) hz=$(meta "$tmp/b.csv.meta" tsc_hz)
expect_eq "schedule violations" "$(awk -F, -v thr="$thr" -v hz="$hz" '$2=="send" {
	if ($4 + 0 < $9 + 0) n++
	if (p && ($9 + 0 <= pt + 0 || $9 + 0 <= pa + 0)) n++
	late = ($4 - $9) > thr * hz / 1e9
	if (late != ($10 == "late")) n++
	p = 1; pt = $4; pa = $9 } END { print n + 0 }' "$tmp/b.csv")" 0
expect_eq "late count in meta = late rows" "$(meta "$tmp/b.csv.meta" late)" "$(awk -F, '$10=="late"' "$tmp/b.csv" | wc -l)"

echo "== 5. IPv6 loopback, 100 packets"
ip netns exec "$N" "$R" --bind [::1]:9011 --count 100 --timeout 20 --out "$tmp/v6.csv" >"$tmp/v6.log" 2>&1 &
rp=$!
wait_bound 9011
inN "$S" --dst [::1]:9011 --count 100 --interval 1ms --quiet
expect_eq "nt-send exit" $? 0
wait $rp; expect_eq "nt-recv exit" $? 0
expect_eq "v6 unique" "$(meta "$tmp/v6.csv.meta" unique)" 100
expect_eq "v6 lost" "$(meta "$tmp/v6.csv.meta" packets_lost)" 0
expect_eq "v6 bind" "$(meta "$tmp/v6.csv.meta" bind)" "[::1]:9011"

echo "== 6. Ctrl-C: nt-recv and nt-send flush and exit 130"
ip netns exec "$N" "$R" --bind 127.0.0.1:9005 --duration 60 --out "$tmp/i.csv" >"$tmp/i.log" 2>&1 &
rp=$!
wait_bound 9005
inN "$S" --dst 127.0.0.1:9005 --count 50 --interval 1ms --quiet
drain_stop "$N" 9005 $rp; expect_eq "nt-recv exit after SIGINT" $? 130
expect_eq "rx_user rows after SIGINT" "$(rows "$tmp/i.csv" rx_user)" 50
expect_eq "stopped by" "$(meta "$tmp/i.csv.meta" stop_signal)" SIGINT
expect_eq "exit status in meta" "$(meta "$tmp/i.csv.meta" exit_status)" 130
grep -q "received 50" "$tmp/i.log" && ok "summary printed" || no "no summary after SIGINT: $(cat "$tmp/i.log")"
ip netns exec "$N" "$S" --dst 127.0.0.1:9005 --count 5000 --interval 1ms --out "$tmp/j.csv" >"$tmp/j.log" 2>&1 &
sp=$!
sleep 1.5
kill -TERM $sp; wait $sp; expect_eq "nt-send exit after SIGTERM" $? 143
n=$(meta "$tmp/j.csv.meta" count)
expect_eq "send rows = meta count after SIGTERM" "$(rows "$tmp/j.csv" send)" "$n"
[ "${n:-0}" -gt 0 ] && ok "sent $n before SIGTERM" || no "nothing sent before SIGTERM"
grep -q "send jitter" "$tmp/j.log" && ok "jitter printed" || no "no jitter summary after SIGTERM"
ip netns exec "$N" "$F" --dst 127.0.0.1:9006 --max --duration 60 --meta "$tmp/k.meta" >"$tmp/k.log" 2>&1 &
fp=$!
sleep 1.5
kill -INT $fp; wait $fp; expect_eq "nt-flood exit after SIGINT" $? 130
expect_eq "flood meta: stopped by" "$(meta "$tmp/k.meta" stop_signal)" SIGINT
[ "$(meta "$tmp/k.meta" sent)" -gt 0 ] 2>/dev/null && ok "flood sent $(meta "$tmp/k.meta" sent) before SIGINT" ||
	no "flood summary after SIGINT: $(cat "$tmp/k.log")"
grep -q "^nt-flood: stopped by SIGINT" "$tmp/k.log" && ok "flood summary printed" || no "no flood summary line"

echo "== 6b. nt-recv writes its records as the run goes (not all at the end)"
ip netns exec "$N" "$R" --bind 127.0.0.1:9008 --duration 30 --out "$tmp/g.csv" >"$tmp/g.log" 2>&1 &
rp=$!
wait_bound 9008
inN "$S" --dst 127.0.0.1:9008 --count 200 --interval 1ms --quiet
sleep 2.5 # a clock pair closes the segment about every second
if kill -0 $rp 2>/dev/null; then
	expect_eq "rx_user rows on disk while nt-recv still runs" "$(rows "$tmp/g.csv" rx_user)" 200
else
	no "nt-recv ended before the check: $(cat "$tmp/g.log")"
fi
kill -INT $rp; wait $rp
expect_eq "rx_user rows after SIGINT" "$(rows "$tmp/g.csv" rx_user)" 200

echo "== 7. nt-recv --duration: stops by itself, exit 0"
inN "$R" --bind 127.0.0.1:9007 --duration 1 --out "$tmp/e.csv" >"$tmp/e.log" 2>&1
expect_eq "nt-recv --duration exit" $? 0
expect_eq "stop reason" "$(meta "$tmp/e.csv.meta" stop_reason)" "duration reached"
expect_eq "nothing received" "$(meta "$tmp/e.csv.meta" received)" 0
finish test-loopback
