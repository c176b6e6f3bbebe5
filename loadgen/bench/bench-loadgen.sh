#!/usr/bin/env bash
# Benchmark (not a test): loadgen against its peers, side by side, in one run.
#  1. flood packets/s over a veth pair between two network namespaces, 64-byte UDP
#     payloads (106-byte frames), full UDP receive path (nt-recv counts what
#     arrives on the other side, CPU 0), in interleaved rounds:
#     nt-flood default (auto: TX ring) / sendmmsg / packet / pcap from CPU 1, the
#     TX ring from CPUs 0 and 1  vs  trafgen (netsniff-ng)  vs  iperf3 -u
#  2. periodic send jitter at 1 ms: nt-send (several modes) vs a plain
#     clock_nanosleep loop (bench/sleeploop.c), each sending one datagram per period.
# Each row is flagged with the host stalls seen meanwhile (nt-stallmon, when built).
# Environment: NT_BENCH_SECONDS (flood seconds per row, default 2), NT_BENCH_ROUNDS
#   (flood rounds, default 3; 0 skips the flood),
#   NT_BENCH_COUNT (periods per jitter row, default 3000), NT_BENCH_BIN (programs,
#   default build/rel/bin).  Needs root.  Prints figures; asserts nothing.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
bin=${NT_BENCH_BIN:-$top/build/rel/bin}
secs=${NT_BENCH_SECONDS:-2}
rounds=${NT_BENCH_ROUNDS:-3}
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
	"$bin/nt-stallmon" --out "$tmp/stall.csv" --threshold 1ms --duration "$1" --quiet >/dev/null 2>&1 &
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

echo "bench-loadgen: $(date -u +%FT%TZ), $(uname -r), $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-)," \
	"load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "bench-loadgen: shared and noisy host: +-30% run to run; rows flagged STALLED saw host stalls > 1 ms"
echo
echo "== Flood: packets/s over a veth pair, 64 B UDP payload (106 B frames), ${secs} s a row, ${rounds} rounds"
echo "   interleaved (each round runs every generator once, starting one further along the list): the"
echo "   medians compare generators under the same host noise.  Senders on CPU 1 unless said; the"
echo "   receiver (nt-recv counting, or iperf3 -s) on CPU 0.  veth has no line rate (virtual device)."
port=7300
gens=(default sendmmsg packet packet-bypass pcap txring-2cpu)
command -v trafgen >/dev/null && gens+=(trafgen) || echo "trafgen: not installed (apt-get install netsniff-ng)"
command -v iperf3 >/dev/null && gens+=(iperf3) || echo "iperf3: not installed"
declare -A label=([default]="nt-flood default" [sendmmsg]="nt-flood sendmmsg" [packet]="nt-flood packet"
	[packet-bypass]="nt-flood packet --qdisc-bypass" [pcap]="nt-flood pcap" [txring-2cpu]="nt-flood txring, 2 CPUs"
	[trafgen]="trafgen (TX ring, CPU 1)" [iperf3]="iperf3 -u -b 0 -l 64")
declare -A r_sent r_rx r_stall
sink_start() { # count what arrives (our payloads as received, others as stray); records to /dev/null
	port=$((port + 1))
	rm -f "$tmp/sink.meta"
	ip netns exec "$B" "$bin/nt-recv" --bind 192.0.2.2:$port --duration $((secs + 3)) --timeout 2 --cpu 0 \
		--quiet --out /dev/null --format bin --meta "$tmp/sink.meta" >/dev/null 2>&1 &
	sink_pid=$!
	for _ in $(seq 50); do ip netns exec "$B" ss -Hlun "sport = :$port" | grep -q . && break; sleep 0.1; done
}
sink_stop() { kill -INT "$sink_pid" 2>/dev/null; wait "$sink_pid" 2>/dev/null; }
sink_rx() {
	local a b; a=$(meta "$tmp/sink.meta" received) b=$(meta "$tmp/sink.meta" stray)
	echo $(( ${a:-0} + ${b:-0} ))
}
# one measurement: sets SENT (packets), EL (s), RX (packets), NOTE
measure_flood() {
	local g=$1 opt=()
	case $g in
	default) opt=(--cpu 1) ;;
	sendmmsg | packet | pcap) opt=(--backend "$g" --cpu 1) ;;
	packet-bypass) opt=(--backend packet --qdisc-bypass --cpu 1) ;;
	txring-2cpu) opt=(--backend txring --cpu 0,1) ;;
	esac
	sink_start
	rm -f "$tmp/fl.meta"
	ip netns exec "$A" "$bin/nt-flood" --dst 192.0.2.2:$port --max --duration "$secs" "${opt[@]}" \
		--iface v0 --quiet --meta "$tmp/fl.meta" >/dev/null 2>"$tmp/fl.err"
	sleep 0.5; sink_stop
	SENT=$(meta "$tmp/fl.meta" sent) EL=$(meta "$tmp/fl.meta" send_elapsed_s) RX=$(sink_rx)
	NOTE="$(meta "$tmp/fl.meta" backend) ($(meta "$tmp/fl.meta" backend_choice))"
}
measure_trafgen() {
	sink_start
	echo "cpu(1): { eth(da=$bmac, sa=$amac), ipv4(sa=192.0.2.1, da=192.0.2.2), udp(sp=40000, dp=$port), fill(0, 64) }" >"$tmp/tg.cfg"
	ip netns exec "$A" timeout -s INT "$secs" trafgen -o v0 -i "$tmp/tg.cfg" -P 2 -Q 2>&1 | tr -d "\r" >"$tmp/tg.out"
	sleep 0.5; sink_stop
	SENT=$(awk '/packets outgoing/ {print $1}' "$tmp/tg.out") EL=$(awk '/usec on CPU1/ {print $1 + $3 / 1e6}' "$tmp/tg.out")
	RX=$(sink_rx) NOTE=
	[ -n "$SENT" ] || NOTE="failed: $(grep -v 'Cannot set' "$tmp/tg.out" | tail -n 1)"
}
measure_iperf3() {
	port=$((port + 1))
	ip netns exec "$B" iperf3 -s -1 -B 192.0.2.2 -p $port -A 0 >/dev/null 2>&1 &
	local ipid=$!
	sleep 0.5
	ip netns exec "$A" iperf3 -u -c 192.0.2.2 -p $port -b 0 -l 64 -t "$secs" -A 1 >"$tmp/ip.out" 2>&1
	wait $ipid 2>/dev/null
	# the totals: "... LOST/TOTAL (x%) sender|receiver"
	SENT=$(grep -E 'sender$' "$tmp/ip.out" | tail -n1 | grep -oE '[0-9]+/[0-9]+' | cut -d/ -f2)
	local rcv; rcv=$(grep -E 'receiver$' "$tmp/ip.out" | tail -n1 | grep -oE '[0-9]+/[0-9]+')
	EL=$(grep -E 'sender$' "$tmp/ip.out" | tail -n1 | awk '{split($3, a, "-"); print a[2]}')
	RX=$(( ${rcv#*/} - ${rcv%/*} )) NOTE=
}
ng=${#gens[@]}
[ "$rounds" -gt 0 ] && printf '%-5s %-30s %12s %12s  %s\n' "round" "generator" "sent pps" "rx pps" "host stalls during the row; back end"
for ((round = 1; round <= rounds; round++)); do
	for ((k = 0; k < ng; k++)); do
		g=${gens[$(( (k + round - 1) % ng ))]}
		SENT= EL= RX= NOTE=
		stall_start $((secs + 3))
		case $g in
		trafgen) measure_trafgen ;;
		iperf3) measure_iperf3 ;;
		*) measure_flood "$g" ;;
		esac
		stall_stop
		sp=$(awk -v s="${SENT:-0}" -v e="${EL:-0}" 'BEGIN { printf "%.0f", (e > 0 ? s / e : 0) }')
		rp=$(awk -v s="${RX:-0}" -v e="${EL:-0}" 'BEGIN { printf "%.0f", (e > 0 ? s / e : 0) }')
		st=$(meta "$tmp/stall.csv.meta" stalls 2>/dev/null); st=${st:-0}
		r_sent[$g]+="$sp " r_rx[$g]+="$rp " r_stall[$g]=$(( ${r_stall[$g]:-0} + st ))
		printf '%-5s %-30s %12s %12s  %s; %s\n' "$round" "${label[$g]}" "$sp" "$rp" "$(stall_flag)" "$NOTE"
	done
done
med() { tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 } END { if (!NR) { print 0; exit }
	print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
mm() { tr ' ' '\n' | grep . | sort -n | awk 'NR == 1 { a = $1 } { b = $1 } END { printf "%s-%s", a, b }'; }
[ "$rounds" -gt 0 ] && echo && echo "Summary over $rounds rounds (packets/s; median and min-max; Mbit/s of the median on 106 B frames):"
[ "$rounds" -gt 0 ] && printf '%-30s %12s %18s %12s %9s %8s\n' "generator" "sent median" "sent min-max" "rx median" "Mbit/s" "stalls"
[ "$rounds" -gt 0 ] && for g in "${gens[@]}"; do
	m=$(echo "${r_sent[$g]}" | med)
	printf '%-30s %12.0f %18s %12.0f %9.1f %8s\n' "${label[$g]}" "$m" "$(echo "${r_sent[$g]}" | mm)" \
		"$(echo "${r_rx[$g]}" | med)" "$(awk -v m="$m" 'BEGIN { print m * 106 * 8 / 1e6 }')" "${r_stall[$g]}"
done
# the default against the best peer, per round and by median
peers=()
for g in trafgen iperf3; do [ -n "${r_sent[$g]:-}" ] && peers+=("$g"); done
if [ ${#peers[@]} -gt 0 ] && [ "$rounds" -gt 0 ]; then
	read -ra d <<<"${r_sent[default]}"
	wins=0 best_med=0 best=
	for ((i = 0; i < rounds; i++)); do
		b=0
		for g in "${peers[@]}"; do read -ra p <<<"${r_sent[$g]}"; [ "${p[$i]:-0}" -gt $b ] && b=${p[$i]}; done
		[ "${d[$i]:-0}" -ge $b ] && wins=$((wins + 1))
	done
	for g in "${peers[@]}"; do
		m=$(echo "${r_sent[$g]}" | med)
		awk -v m="$m" -v b="$best_med" 'BEGIN { exit !(m > b) }' && { best_med=$m; best=$g; }
	done
	dm=$(echo "${r_sent[default]}" | med)
	echo "default vs best peer: median $(printf %.0f "$dm") vs $(printf %.0f "$best_med") pps (${label[$best]}):" \
		"ratio $(awk -v a="$dm" -v b="$best_med" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }');" \
		"the default sent at least the best peer's rate in $wins of $rounds rounds"
	echo "2 sending CPUs: median $(echo "${r_sent[txring-2cpu]}" | med) pps; on this 2-CPU machine the second" \
		"sender shares CPU 0 with the receiver (and the VM gets about one host CPU in all)"
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
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
