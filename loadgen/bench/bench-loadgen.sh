#!/usr/bin/env bash
# Benchmark (not a test): loadgen against its peers, side by side, in one run.
#  1. flood packets/s from one core (CPU 1) over a veth pair between two network
#     namespaces, 64-byte UDP payloads (106-byte frames), full UDP receive path
#     (nt-recv counts what arrives on the other side, CPU 0):
#     nt-flood sendmmsg / packet / pcap  vs  trafgen (netsniff-ng)  vs  iperf3 -u
#  2. periodic send jitter at 1 ms: nt-send (several modes) vs a plain
#     clock_nanosleep loop (bench/sleeploop.c), each sending one datagram per period.
# Each row is flagged with the host stalls seen meanwhile (nt-stallmon, when built).
# Environment: NT_BENCH_SECONDS (flood seconds per row, default 3),
#   NT_BENCH_COUNT (periods per jitter row, default 3000), NT_BENCH_BIN (programs,
#   default build/rel/bin).  Needs root.  Prints figures; asserts nothing.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
bin=${NT_BENCH_BIN:-$top/build/rel/bin}
secs=${NT_BENCH_SECONDS:-3}
njit=${NT_BENCH_COUNT:-3000}
[ "$(id -u)" = 0 ] || { echo "bench-loadgen: needs root (network namespaces)"; exit 1; }
for p in nt-flood nt-send nt-recv; do
	[ -x "$bin/$p" ] || { echo "bench-loadgen: $bin/$p missing (run make)"; exit 1; }
done
tmp=$(mktemp -d /tmp/nt-loadgen-bench.XXXXXX)
A=nt-loadgen-$$-ba B=nt-loadgen-$$-bb
cleanup() {
	local p
	for p in $(jobs -p); do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	ip netns del "$A" 2>/dev/null; ip netns del "$B" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
ip netns add "$A" && ip netns add "$B" || exit 1
ip -n "$A" link set lo up; ip -n "$B" link set lo up
ip -n "$A" link add v0 type veth peer name v0 netns "$B" || exit 1
ip -n "$A" addr add 192.0.2.1/24 dev v0 && ip -n "$A" link set v0 up
ip -n "$B" addr add 192.0.2.2/24 dev v0 && ip -n "$B" link set v0 up
amac=$(ip -n "$A" -o link show v0 | grep -o 'link/ether [0-9a-f:]*' | awk '{print $2}')
bmac=$(ip -n "$B" -o link show v0 | grep -o 'link/ether [0-9a-f:]*' | awk '{print $2}')
ip -n "$A" neigh replace 192.0.2.2 lladdr "$bmac" dev v0
meta() { sed -n "s/^$2=//p" "$1" 2>/dev/null | tail -n1; }
cc=${CC:-cc}
$cc -O2 -o "$tmp/sleeploop" "$top/loadgen/bench/sleeploop.c" || exit 1

# stall monitor around one measurement
stall_start() {
	stall_pid=
	rm -f "$tmp/stall.csv" "$tmp/stall.csv.meta"
	[ -x "$bin/nt-stallmon" ] || return 0
	"$bin/nt-stallmon" --out "$tmp/stall.csv" --threshold-us 1000 --duration "$1" --quiet >/dev/null 2>&1 &
	stall_pid=$!
}
stall_stop() { # in the main shell, before a row is printed
	[ -n "$stall_pid" ] || return 0
	kill -INT "$stall_pid" 2>/dev/null; wait "$stall_pid" 2>/dev/null
}
stall_flag() {
	if [ -z "$stall_pid" ]; then echo "n/a (nt-stallmon not built)"; return; fi
	local n; n=$(meta "$tmp/stall.csv.meta" stalls)
	printf '%s stalls>1ms, max %.1f ms%s' "${n:-?}" "$(awk -v u="$(meta "$tmp/stall.csv.meta" stall_max_us)" 'BEGIN{print u/1000}')" \
		"$([ "${n:-0}" -gt 0 ] && echo ' STALLED')"
}

echo "bench-loadgen: $(date -u +%FT%TZ), $(uname -r), $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-)"
echo "bench-loadgen: shared and noisy host: +-30% run to run; rows flagged STALLED saw host stalls > 1 ms"
echo
echo "== Flood: packets/s from one core (CPU 1), ${secs} s each, veth, 64 B UDP payload (106 B frames)"
printf '%-24s %12s %12s %10s  %s\n' "generator" "sent pps" "rx pps" "Mbit/s" "host stalls during the row"
port=7300
row() { # row NAME SENT SECONDS RXFILE
	local name=$1 sent=$2 el=$3 rxm=$4
	local rx; rx=$(meta "$rxm" received)
	local rxs; rxs=$(meta "$rxm" stray)
	rx=$(( ${rx:-0} + ${rxs:-0} ))
	awk -v n="$name" -v s="$sent" -v e="$el" -v r="$rx" -v f="$(stall_flag)" 'BEGIN {
		if (e <= 0) { printf "%-24s %12s %12s %10s  %s\n", n, "failed", "-", "-", f; exit }
		printf "%-24s %12.0f %12.0f %10.1f  %s\n", n, s / e, r / e, s / e * 106 * 8 / 1e6, f }'
}
sink_start() { # count what arrives (our payloads as received, others as stray)
	port=$((port + 1))
	ip netns exec "$B" "$bin/nt-recv" --bind 192.0.2.2:$port --duration $((secs + 3)) --timeout 2 --cpu 0 \
		--max-records 0 --quiet --out "$tmp/sink.csv" >/dev/null 2>&1 &
	sink_pid=$!
	for _ in $(seq 50); do ip netns exec "$B" ss -Hlun "sport = :$port" | grep -q . && break; sleep 0.1; done
}
sink_stop() { kill -INT "$sink_pid" 2>/dev/null; wait "$sink_pid" 2>/dev/null; }

for be in sendmmsg packet packet-bypass pcap; do
	sink_start
	stall_start $((secs + 2))
	opt=(--backend $be)
	[ $be = packet-bypass ] && opt=(--backend packet --qdisc-bypass)
	ip netns exec "$A" "$bin/nt-flood" --dst 192.0.2.2:$port --max --duration "$secs" "${opt[@]}" \
		--iface v0 --cpu 1 --quiet --summary "$tmp/fl.meta" >/dev/null 2>"$tmp/fl.err"
	sleep 0.5; sink_stop; stall_stop
	row "nt-flood $be" "$(meta "$tmp/fl.meta" sent)" "$(meta "$tmp/fl.meta" elapsed_s)" "$tmp/sink.csv.meta"
done
if command -v trafgen >/dev/null; then
	sink_start
	echo "cpu(1): { eth(da=$bmac, sa=$amac), ipv4(sa=192.0.2.1, da=192.0.2.2), udp(sp=40000, dp=$port), fill(0, 64) }" >"$tmp/tg.cfg"
	stall_start $((secs + 2))
	ip netns exec "$A" timeout -s INT "$secs" trafgen -o v0 -i "$tmp/tg.cfg" -P 2 -Q 2>&1 | tr -d "\r" >"$tmp/tg.out"
	sleep 0.5; sink_stop; stall_stop
	tg_n=$(awk '/packets outgoing/ {print $1}' "$tmp/tg.out")
	tg_t=$(awk '/usec on CPU1/ {print $1 + $3 / 1e6}' "$tmp/tg.out")
	[ -n "$tg_n" ] || { echo "trafgen failed:"; grep -v 'Cannot set' "$tmp/tg.out" | tail -n 5; }
	row "trafgen (TX ring)" "${tg_n:-0}" "${tg_t:-0}" "$tmp/sink.csv.meta"
else
	echo "trafgen: not installed (apt-get install netsniff-ng)"
fi
if command -v iperf3 >/dev/null; then
	port=$((port + 1))
	ip netns exec "$B" iperf3 -s -1 -B 192.0.2.2 -p $port -A 0 >/dev/null 2>&1 &
	ipid=$!
	sleep 0.5
	stall_start $((secs + 2))
	ip netns exec "$A" iperf3 -u -c 192.0.2.2 -p $port -b 0 -l 64 -t "$secs" -A 1 >"$tmp/ip.out" 2>&1
	wait $ipid 2>/dev/null
	stall_stop
	# sender line: "... sec  MBytes  Mbits/sec  0.000 ms  LOST/TOTAL (..%)  sender"? read the totals
	ip_tot=$(grep -E 'sender$' "$tmp/ip.out" | tail -n1 | grep -oE '[0-9]+/[0-9]+' | cut -d/ -f2)
	ip_rcv=$(grep -E 'receiver$' "$tmp/ip.out" | tail -n1 | grep -oE '[0-9]+/[0-9]+')
	ip_t=$(grep -E 'sender$' "$tmp/ip.out" | tail -n1 | awk '{split($3, a, "-"); print a[2]}')
	printf 'lost=0\nreceived=%s\nstray=0\n' $(( ${ip_rcv#*/} - ${ip_rcv%/*} )) >"$tmp/ip.meta" 2>/dev/null
	row "iperf3 -u -b 0 -l 64" "${ip_tot:-0}" "${ip_t:-0}" "$tmp/ip.meta"
else
	echo "iperf3: not installed"
fi

echo
echo "== Periodic send jitter: ${njit} periods of 1 ms to 192.0.2.2 (actual - scheduled, us)"
printf '%-40s %9s %9s %9s %10s  %s\n' "sender" "min" "median" "p99" "max" "host stalls during the row"
jrow() { awk -v n="$1" -v l="$2" -v f="$(stall_flag)" 'BEGIN { split(l, v, " ");
	printf "%-40s %9.2f %9.2f %9.2f %10.2f  %s\n", n, v[1], v[2], v[3], v[4], f }'; }
jsec=$(( njit / 1000 + 3 ))
send_row() { # NAME nt-send options...
	local name=$1; shift
	stall_start $jsec
	ip netns exec "$A" "$bin/nt-send" --dst 192.0.2.2:7400 --count "$njit" --interval 1ms --cpu 1 --quiet \
		--out "$tmp/s.csv" "$@" >/dev/null 2>"$tmp/s.err"
	stall_stop
	local m=$tmp/s.csv.meta
	jrow "$name" "$(awk -v a="$(meta $m jitter_min_ns)" -v b="$(meta $m jitter_median_ns)" \
		-v c="$(meta $m jitter_p99_ns)" -v d="$(meta $m jitter_max_ns)" 'BEGIN{print a/1e3, b/1e3, c/1e3, d/1e3}')"
}
loop_row() { # NAME sleeploop options...
	local name=$1; shift
	stall_start $jsec
	local out; out=$(ip netns exec "$A" "$tmp/sleeploop" -n "$njit" -i 1000 -c 1 -d 192.0.2.2:7400 "$@")
	stall_stop
	jrow "$name" "$(echo "$out" | sed -E 's/.*min ([0-9.]+) median ([0-9.]+) p99 ([0-9.]+) max ([0-9.]+).*/\1 \2 \3 \4/')"
}
loop_row "clock_nanosleep loop"
send_row "nt-send"
loop_row "clock_nanosleep loop, SCHED_FIFO" -f 50
send_row "nt-send --fifo 50" --fifo 50
send_row "nt-send --fifo 50 --spin 100us" --fifo 50 --spin 100us
send_row "nt-send --spin 200us (SCHED_OTHER)" --spin 200us
echo
echo "(flood: sent pps = the generator's own count / its run time; rx pps = what nt-recv got on the other side."
echo " jitter: nt-send stamps with the TSC; the loop with CLOCK_MONOTONIC.)"
