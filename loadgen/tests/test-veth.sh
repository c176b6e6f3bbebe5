#!/usr/bin/env bash
# timeout: 240
# loadgen between two network namespaces joined by veth (192.0.2.1 <-> .2):
# nt-send -> nt-recv (pinned, SCHED_FIFO, busy-poll), and nt-flood through each
# back end (sendmmsg, AF_PACKET, pcap_inject, TX ring with 1 and 2 threads, the
# default) with every packet accounted for: sent = received + receive-buffer
# drops, no checksum errors.
. "$(dirname "$0")/lib.sh"
need_netns
mkns A a
mkns B b
ip -n "$A" link add v0 type veth peer name v0 netns "$B" || { echo "cannot create veth"; exit 1; }
ip -n "$A" addr add 192.0.2.1/24 dev v0 && ip -n "$A" link set v0 up
ip -n "$B" addr add 192.0.2.2/24 dev v0 && ip -n "$B" link set v0 up
S=$NT_BIN/nt-send R=$NT_BIN/nt-recv F=$NT_BIN/nt-flood
ncpu=$(nproc)
c1=$(( ncpu > 1 ? 1 : 0 ))
wait_bound() {
	for _ in $(seq 100); do
		ip netns exec "$B" ss -Hlun "sport = :$1" | grep -q . && return 0
		sleep 0.1
	done
	echo "nobody listens on port $1"; return 1
}
ip_snmp() { ip netns exec "$1" awk -v f="$2" '/^Ip:/ { if (!h) { for (i = 2; i <= NF; i++) n[$i] = i; h = 1 }
	else { print $(n[f]); exit } }' /proc/net/snmp; }

echo "== 1. nt-send (SCHED_FIFO, pinned, spin 50us) -> nt-recv (pinned, busy-poll), 300 at 2 ms"
ip netns exec "$B" "$R" --bind 192.0.2.2:7000 --count 300 --timeout 20 --cpu 0 --busy-poll \
	--out "$tmp/r.csv" >"$tmp/r.log" 2>&1 &
rp=$!
wait_bound 7000
ip netns exec "$A" "$S" --dst 192.0.2.2:7000 --count 300 --interval 2ms --fifo 50 --cpu $c1 --spin 50us \
	--run-id 31 --out "$tmp/s.csv" >"$tmp/s.log" 2>&1
expect_eq "nt-send exit" $? 0
wait $rp; expect_eq "nt-recv exit" $? 0
cat "$tmp/s.log" "$tmp/r.log"
for k in received:300 unique:300 packets_lost:0 reordered:0 duplicates:0 stray:0 run_id:31 busy_poll:1 cpu:0 \
	order_violations_kernel_after_user:0 order_violations_kernel_before_send:0; do
	expect_eq "recv ${k%%:*}" "$(meta "$tmp/r.csv.meta" "${k%%:*}")" "${k#*:}"
done
# SCHED_FIFO where permitted (a container may forbid it: then 0 and a warning)
if chrt -f 1 true 2>/dev/null; then want_fifo=50; else want_fifo=0; fi
expect_eq "send fifo" "$(meta "$tmp/s.csv.meta" fifo)" $want_fifo
[ $want_fifo = 50 ] || grep -q 'SCHED_FIFO' "$tmp/s.log" && ok "fifo state reported" || no "no SCHED_FIFO warning"
expect_eq "send records on cpu $c1" "$(awk -F, -v c=$c1 '$2=="send" && $3==c' "$tmp/s.csv" | wc -l)" 300
expect_eq "rx_user records on cpu 0" "$(awk -F, '$2=="rx_user" && $3==0' "$tmp/r.csv" | wc -l)" 300
# sender's aux = scheduled TSC: consecutive slots are interval apart (or whole multiples after a skip)
hz=$(meta "$tmp/s.csv.meta" tsc_hz)
expect_eq "slots on the 2 ms grid" "$(awk -F, -v hz="$hz" '$2=="send" { if (p) { d = ($9 - p) / (hz * 0.002);
	if (d < 0.999 || (d - int(d + 0.5)) > 1e-3 || (int(d + 0.5) - d) > 1e-3) n++ } p = $9 } END { print n + 0 }' "$tmp/s.csv")" 0

echo "== 2. nt-flood back ends, 5000 packets at 50 kpps each (txring also 2 threads, and as fast as it can)"
bmac=$(ip -n "$B" -o link show v0 | grep -o 'link/ether [0-9a-f:]*' | awk '{print $2}')
port=7100
for be in sendmmsg packet packet-bypass pcap txring default txring-2cpu txring-max; do
	port=$((port + 1))
	extra=(--backend $be --rate 50k --cpu $c1)
	case $be in
	packet) extra+=(--iface v0) ;;                # MAC from the neighbour table
	packet-bypass) extra=(--backend packet --qdisc-bypass --iface v0 --dst-mac "$bmac" --rate 50k --cpu $c1) ;;
	pcap) extra+=(--iface v0 --dst-mac "$bmac") ;;
	txring) ;;                                    # interface from the route, MAC from the neighbour table
	default) extra=(--rate 50k --cpu $c1) ;;
	txring-2cpu) extra=(--backend txring --rate 50k --cpu 0,$c1 --iface v0 --dst-mac "$bmac") ;;
	txring-max) extra=(--backend txring --max --batch 256 --cpu $c1) ;;
	esac
	rb=$(udp_snmp "$B" RcvbufErrors) cb=$(udp_snmp "$B" InCsumErrors) hb=$(ip_snmp "$B" InHdrErrors)
	ip netns exec "$B" "$R" --bind 192.0.2.2:$port --count 5000 --run-id $port --timeout 60 \
		--out "$tmp/f-$be.csv" >"$tmp/fr-$be.log" 2>&1 &
	rp=$!
	wait_bound $port
	ip netns exec "$A" "$F" --dst 192.0.2.2:$port --count 5000 "${extra[@]}" \
		--run-id $port --meta "$tmp/f-$be.meta" >"$tmp/f-$be.log" 2>&1
	expect_eq "$be: nt-flood exit" $? 0
	drain_stop "$B" $port $rp; rc=$?
	rc_ok $rc && ok "$be: nt-recv exit $rc" || no "$be: nt-recv exit $rc"
	cat "$tmp/f-$be.log" "$tmp/fr-$be.log"
	m=$tmp/f-$be.csv.meta
	expect_eq "$be: sent" "$(meta "$tmp/f-$be.meta" sent)" 5000
	expect_eq "$be: unsent" "$(meta "$tmp/f-$be.meta" unsent)" 0
	expect_eq "$be: sent by the threads" "$(meta "$tmp/f-$be.meta" sent_by_thread | tr , '\n' | awk '{ s += $1 } END { print s }')" 5000
	drops=$(( $(udp_snmp "$B" RcvbufErrors) - rb ))
	expect_eq "$be: lost = receive-buffer drops" "$(meta "$m" packets_lost)" "$drops"
	expect_eq "$be: unique + drops" $(( $(meta "$m" unique) + drops )) 5000
	expect_eq "$be: duplicates" "$(meta "$m" duplicates)" 0
	expect_eq "$be: stray" "$(meta "$m" stray)" 0
	expect_eq "$be: UDP checksum errors" $(( $(udp_snmp "$B" InCsumErrors) - cb )) 0
	expect_eq "$be: IP header errors" $(( $(ip_snmp "$B" InHdrErrors) - hb )) 0
	expect_eq "$be: rx_kernel after rx_user" "$(meta "$m" order_violations_kernel_after_user)" 0
done
# the default back end is the TX ring here; two CPUs = two threads; veth has no line rate
expect_eq "default back end" "$(meta "$tmp/f-default.meta" backend)" txring
expect_eq "default back end chosen" "$(meta "$tmp/f-default.meta" backend_choice)" auto
expect_eq "txring qdisc bypass" "$(meta "$tmp/f-txring.meta" qdisc_bypass)" 1
expect_eq "txring interface from the route" "$(meta "$tmp/f-txring.meta" iface)" v0
expect_eq "2-CPU threads" "$(meta "$tmp/f-txring-2cpu.meta" threads)" 2
expect_eq "2-CPU cpus" "$(meta "$tmp/f-txring-2cpu.meta" cpu)" "0,$c1"
grep -q '^line_rate_note=v0 is a virtual device (veth)' "$tmp/f-txring.meta" && ok "veth: no line rate, said" ||
	no "line rate note: $(meta "$tmp/f-txring.meta" line_rate_note)"
# the AF_PACKET frames carry the interface's addresses: the receiver saw 192.0.2.1 as source
expect_eq "neighbour entry used by the packet back end" \
	"$(ip -n "$A" neigh show 192.0.2.2 dev v0 | grep -c "$bmac")" 1

echo "== 3. nt-flood --mbps 20 for 2.2 s: per-second lines, never above the rate"
ip netns exec "$A" "$F" --dst 192.0.2.2:7200 --mbps 20 --duration 2.2 --meta "$tmp/m.meta" >"$tmp/m.log" 2>&1
expect_eq "nt-flood exit" $? 0
cat "$tmp/m.log"
[ "$(grep -c ' s: .* pps .* Mbit/s' "$tmp/m.log")" -ge 1 ] && ok "per-second lines" || no "no per-second lines"
mb=$(meta "$tmp/m.meta" mbps_frames)
awk -v m="$mb" 'BEGIN { exit !(m > 0 && m <= 21) }' && ok "achieved $mb Mbit/s <= 21" || no "achieved '$mb' Mbit/s"
finish test-veth
