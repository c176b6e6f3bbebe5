# SPDX-License-Identifier: GPL-2.0
# The native testbed, sourced by scenarios/run: two network namespaces joined
# by two veth links, on any Linux machine, no hypervisor.
#
#   netns A (load side)                      netns B (measured side)
#     nt-flood  --> fla 192.0.2.1/30 ===== flb 192.0.2.2/30   (no listener: the load)
#     nt-send   --> pra 192.0.2.5/30 ===== prb 192.0.2.6/30 --> nt-recv :7001
#
# Two links, like the papers' two NICs: the flood and the probes share the
# sending CPU (on veth the receive softirq runs there), and RPS on prb's rx-0
# can steer the probe link's receive work to another CPU without moving the
# flood's.  Variants set pinning (flood.cpu, send.cpu, recv.cpu), a
# low-priority busy loop that keeps a CPU out of idle (idle_guard), RPS
# (rps.cpus), busy polling (recv.busy_poll).  nt-stallmon runs beside every
# measurement.  Functions used by the runner: tb_check, tb_setup, tb_variant,
# tb_variant_seconds, tb_variant_summary, tb_stop_all, tb_teardown,
# tb_report.  experiment = timer: testbeds/native-timer.sh.

. "$(dirname "${BASH_SOURCE[0]}")/native-timer.sh"

NS_A=nt-scenarios-$$-a
NS_B=nt-scenarios-$$-b
A_FL=192.0.2.1 B_FL=192.0.2.2 A_PR=192.0.2.5 B_PR=192.0.2.6
PROBE_PORT=7001
FLOOD_PORT=9
tb_interrupted=0
tb_created=0

tb_check() {
	local bad=0 v k c ok="send recv stallmon" timer=0
	[ "${S[experiment]}" = timer ] && { timer=1; ok=$TBT_SOURCES; }
	IFS=, read -r -a srcs <<<"$(scn_or sources "${ok// /,}")"
	for k in "${srcs[@]}"; do
		case " $ok " in *" $k "*) ;;
		*) echo "$PROG: the native testbed has no '$k' probe for experiment = ${S[experiment]}" \
			"(sources: ${ok// /, }); use testbed = qemu-xen or hosts for hypervisor and guest probes" >&2; bad=1 ;;
		esac
	done
	[ $timer = 1 ] && { tbt_check || bad=1; }
	for v in "${variants[@]}"; do
		for k in natsume busy_loop nic.load nic.eval; do
			if [ -n "$(scn "$k" "$v")" ]; then
				echo "$PROG: variant '$v': '$k' is a Xen setting; the native testbed uses" \
					"recv.cpu, idle_guard, rps.cpus, recv.busy_poll" >&2
				bad=1
			fi
		done
	done
	local ncpu; ncpu=$(nproc)
	# CPUs the runner uses itself (the programs check theirs: tb_check_args)
	for v in "${variants[@]}"; do
		for k in idle_guard rps.cpus timer.cpu; do
			local val; val=$(scn "$k" "$v")
			case "$val" in ''|none|all) continue ;; esac
			IFS=, read -r -a cl <<<"$val"
			for c in "${cl[@]}"; do
				if [ "$c" -ge "$ncpu" ]; then
					echo "$PROG: variant '$v': $k = $c, but this machine has CPUs 0..$((ncpu - 1)) only" >&2
					bad=1
				fi
			done
		done
	done
	[ $bad = 0 ] || return 1
	if [ "$(id -u)" -ne 0 ]; then
		echo "$PROG: the native testbed creates network namespaces and veth links, which needs root." >&2
		echo "$PROG: run it as root, e.g.:  sudo $0 $scn" >&2
		return 1
	fi
	for c in ip ss taskset chrt nproc; do
		command -v "$c" >/dev/null || {
			echo "$PROG: '$c' is missing (Debian packages iproute2, util-linux, coreutils)" >&2
			return 1
		}
	done
	local progs=(nt-flood nt-send nt-recv nt-hostinfo)
	[ $timer = 1 ] && progs=(nt-flood nt-tick nt-hostinfo)
	[ "$(scn_or stallmon 1)" = 1 ] && [[ ",$(scn_or sources "${ok// /,}")," == *,stallmon,* ]] &&
		progs+=(nt-stallmon)
	[ "$analyze" = 1 ] && progs+=(nt-analyze)
	need_progs "${progs[@]}" || return 1
	[ $timer = 1 ] || tb_check_args || return 2
	# Can we make a namespace here (containers may forbid it)?
	local probe=nt-scenarios-$$-probe
	if ! ip netns add "$probe" 2>/dev/null; then
		echo "$PROG: cannot create a network namespace ('ip netns add' failed): the native testbed" \
			"needs CAP_SYS_ADMIN and netns support" >&2
		return 1
	fi
	ip netns del "$probe"
	return 0
}

# ns NS CMD...: run CMD in namespace NS, logged.
ns() { local n=$1; shift; runcmd setup ip netns exec "$n" "$@"; }

tb_setup() {
	# Namespaces of an earlier run that was killed (SIGKILL, power loss):
	# their runner's pid is gone, so nobody else uses them.
	local old pid
	for old in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E '^nt-scenarios-[0-9]+-[ab]$'); do
		pid=${old#nt-scenarios-}; pid=${pid%-*}
		if [ ! -d "/proc/$pid" ]; then
			say "$PROG: removing network namespace $old left by a run that was killed"
			runcmd setup ip netns del "$old"
		fi
	done
	tb_created=1
	runcmd setup ip netns add "$NS_A" || return 1
	runcmd setup ip netns add "$NS_B" || return 1
	runcmd setup ip -n "$NS_A" link add fla type veth peer name flb netns "$NS_B" || return 1
	runcmd setup ip -n "$NS_A" link add pra type veth peer name prb netns "$NS_B" || return 1
	local n
	for n in "$NS_A" "$NS_B"; do
		ns "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 || return 1
		runcmd setup ip -n "$n" link set lo up || return 1
	done
	runcmd setup ip -n "$NS_A" addr add "$A_FL/30" dev fla || return 1
	runcmd setup ip -n "$NS_B" addr add "$B_FL/30" dev flb || return 1
	runcmd setup ip -n "$NS_A" addr add "$A_PR/30" dev pra || return 1
	runcmd setup ip -n "$NS_B" addr add "$B_PR/30" dev prb || return 1
	for n in fla pra; do runcmd setup ip -n "$NS_A" link set "$n" up || return 1; done
	for n in flb prb; do runcmd setup ip -n "$NS_B" link set "$n" up || return 1; done
	# Static neighbours: no ARP exchange inside the measurement.
	local mac
	mac=$(ip netns exec "$NS_B" cat /sys/class/net/prb/address) || return 1
	runcmd setup ip -n "$NS_A" neigh replace "$B_PR" lladdr "$mac" dev pra nud permanent || return 1
	mac=$(ip netns exec "$NS_B" cat /sys/class/net/flb/address) || return 1
	runcmd setup ip -n "$NS_A" neigh replace "$B_FL" lladdr "$mac" dev fla nud permanent || return 1
	mac=$(ip netns exec "$NS_A" cat /sys/class/net/pra/address) || return 1
	runcmd setup ip -n "$NS_B" neigh replace "$A_PR" lladdr "$mac" dev prb nud permanent || return 1
	{
		echo "# native testbed $(stamp)"
		echo "netns_load=$NS_A"
		echo "netns_measured=$NS_B"
		echo "flood_link=fla $A_FL/30 -> flb $B_FL/30 port $FLOOD_PORT"
		echo "probe_link=pra $A_PR/30 -> prb $B_PR/30 port $PROBE_PORT"
		ip -n "$NS_B" -d link show prb 2>/dev/null | sed 's/^/# /'
	} >"$run_dir/testbed.txt"
}

tb_teardown() {
	[ "$tb_created" = 1 ] || return 0
	local n p
	for n in "$NS_A" "$NS_B"; do
		ip netns list 2>/dev/null | grep -q "^$n\b" || continue
		# Anything still running inside (only what this run started).
		for p in $(ip netns pids "$n" 2>/dev/null); do kill -TERM "$p" 2>/dev/null; done
	done
	sleep 0.2
	for n in "$NS_A" "$NS_B"; do
		ip netns list 2>/dev/null | grep -q "^$n\b" || continue
		for p in $(ip netns pids "$n" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
		runcmd teardown ip netns del "$n"
	done
	tb_created=0
}

tb_stop_all() {
	bg_stop_all
	# RPS back to off on the probe link.
	[ "$tb_created" = 1 ] && ip netns exec "$NS_B" sh -c \
		'echo 0 > /sys/class/net/prb/queues/rx-0/rps_cpus' 2>/dev/null
	return 0
}

cpumask() { # "0,1" -> hex mask
	local m=0 c
	IFS=, read -r -a cl <<<"$1"
	for c in "${cl[@]}"; do m=$((m | (1 << c))); done
	printf '%x' "$m"
}

# ---- the programs' arguments for a variant (one place: the run and the check
# before anything starts use them).  VAR_ARGS arrays; $2 is the variant folder.
# A program that is not run in the variant gets an empty array.
stallmon_on() {
	[[ ",$(scn_or sources send,recv,stallmon "$1")," == *,stallmon,* ]] && [ "$(scn_or stallmon 1 "$1")" = 1 ]
}
args_stallmon() { # $3: the bound in seconds (default: the network variant's)
	local v=$1 d=$2 mode smc
	SM_ARGS=()
	stallmon_on "$v" || return 0
	mode=$(scn_or stallmon.mode tick "$v")
	SM_ARGS=(--out "$d/stall.csv" --mode "$mode" --threshold "$(ns_to_arg "$(scn_or stallmon.threshold 200000 "$v")")"
		--duration "${3:-$(variant_bound "$v")}s")
	[ "$mode" = tick ] && SM_ARGS+=(--period "$(ns_to_arg "$(scn_or stallmon.period 1000000 "$v")")")
	smc=$(scn_or stallmon.cpus all "$v")
	[ "$smc" != all ] && [ "$smc" != none ] && SM_ARGS+=(--cpu "$smc")
	return 0
}
args_recv() { # $3: the run id
	local v=$1 d=$2 rcpu
	RECV_ARGS=(--bind "$B_PR:$PROBE_PORT" --count "$(scn probe.count "$v")" --timeout "$(variant_bound "$v")s"
		--run-id "$3" --out "$d/recv.csv")
	rcpu=$(scn_or recv.cpu none "$v")
	[ "$rcpu" != none ] && RECV_ARGS+=(--cpu "$rcpu")
	[ "$(scn_or recv.busy_poll 0 "$v")" = 1 ] && RECV_ARGS+=(--busy-poll)
	return 0
}
args_flood() { # the flood of the variant (scn_flood_args: the one mapping); none when off
	local v=$1 d=$2 fcpu backend
	FLOOD_ARGS=()
	[ "$(scn_or flood.rate off "$v")" = off ] && return 0
	backend=$(scn_or flood.backend sendmmsg "$v"); fcpu=$(scn_or flood.cpu none "$v")
	FLOOD_ARGS=(--dst "$B_FL:$FLOOD_PORT" --src "$A_FL" --duration "${3:-$(variant_bound "$v")}s"
		--meta "$d/flood.meta" --quiet)
	mapfile -t -O ${#FLOOD_ARGS[@]} FLOOD_ARGS < <(scn_flood_args "$v")
	[ "$fcpu" != none ] && FLOOD_ARGS+=(--cpu "$fcpu")
	[ "$backend" != sendmmsg ] && FLOOD_ARGS+=(--iface fla)
	return 0
}
args_send() { # $3: the run id
	local v=$1 d=$2 scpu fifo
	SEND_ARGS=(--dst "$B_PR:$PROBE_PORT" --count "$(scn probe.count "$v")"
		--interval "$(ns_to_arg "$(scn probe.interval "$v")")" --run-id "$3"
		--size "$(scn_or probe.size 64 "$v")" --out "$d/send.csv")
	scpu=$(scn_or send.cpu none "$v"); fifo=$(scn_or send.fifo none "$v")
	[ "$scpu" != none ] && SEND_ARGS+=(--cpu "$scpu")
	[ "$fifo" != none ] && SEND_ARGS+=(--fifo "$fifo")
	return 0
}
# Seconds a variant may take at most: the probes, plus a minute.
variant_bound() { echo $(( $(scn probe.count "$1") * $(scn probe.interval "$1") / 1000000000 + 61 )); }

# Every program checks its own arguments (--check) before anything starts:
# the scenario parser does not repeat their rules.  Exit 2 when one refuses.
tb_check_args() {
	local v p out bad=0
	for v in "${variants[@]}"; do
		args_stallmon "$v" "RUN/$v"; args_recv "$v" "RUN/$v" 1; args_flood "$v" "RUN/$v"; args_send "$v" "RUN/$v" 1
		for p in stallmon:SM_ARGS recv:RECV_ARGS flood:FLOOD_ARGS send:SEND_ARGS; do
			local -n a=${p#*:}
			[ ${#a[@]} -gt 0 ] || continue
			if ! out=$("$bindir/nt-${p%%:*}" "${a[@]}" --check 2>&1 >/dev/null); then
				echo "$PROG: variant '$v': $out" >&2
				bad=1
			fi
			unset -n a
		done
	done
	return $bad
}

tb_variant_seconds() {
	[ "${S[experiment]}" = timer ] && { tbt_variant_seconds "$@"; return; }
	local v=$1 n iv
	n=$(scn probe.count "$v"); iv=$(scn probe.interval "$v")
	echo $(( n * iv / 1000000000 + 4 ))
}

tb_variant_summary() {
	[ "${S[experiment]}" = timer ] && { tbt_variant_summary "$@"; return; }
	local v=$1 d=$2 s r st
	s=$(grep -c ',send,' "$d/send.csv" 2>/dev/null); s=${s:-0}
	r=$(grep -c ',rx_user,' "$d/recv.csv" 2>/dev/null); r=${r:-0}
	printf ' (%s send stamps, %s received' "$s" "$r"
	local fm; fm=$(sed -n 's/^mbps_frames=//p' "$d/flood.meta" 2>/dev/null)
	[ -n "$fm" ] && printf ', flood %s Mbit/s' "$fm"
	if [ -f "$d/stall.csv" ]; then
		st=$(grep -c ',stall,' "$d/stall.csv"); printf ', %s stalls > %s us' "${st:-0}" \
			"$(ns_to_us "$(scn_or stallmon.threshold 200000 "$v")")"
	fi
	printf ')'
}

# flood_start V D BOUND: nt-flood from netns A to flb for at most BOUND s,
# at the variant's flood.rate (nothing when off); 1 if it stopped at once.
flood_start() {
	local v=$1 d=$2 bound=$3
	args_flood "$v" "$d" "$bound"
	[ ${#FLOOD_ARGS[@]} -gt 0 ] || return 0
	bg_start flood "$d/flood.log" ip netns exec "$NS_A" "$bindir/nt-flood" "${FLOOD_ARGS[@]}"
	sleep 0.5 # let the flood reach its rate before the measurement
	kill -0 "${BG_PID[flood]}" 2>/dev/null && return 0
	say "$PROG: variant '$v': the flood generator stopped at once (see $d/flood.log)"
	return 1
}

tb_variant() {
	[ "${S[experiment]}" = timer ] && { tbt_variant "$@"; return; }
	local v=$1 d=$2
	cur_variant=$v
	local count interval iv_arg rate size backend fcpu scpu fifo rcpu busy guard rps psize
	count=$(scn probe.count "$v"); interval=$(scn probe.interval "$v"); iv_arg=$(ns_to_arg "$interval")
	rate=$(scn_or flood.rate off "$v"); size=$(scn_or flood.size 1472 "$v")
	backend=$(scn_or flood.backend sendmmsg "$v"); psize=$(scn_or probe.size 64 "$v")
	fcpu=$(scn_or flood.cpu none "$v"); scpu=$(scn_or send.cpu none "$v"); fifo=$(scn_or send.fifo none "$v")
	rcpu=$(scn_or recv.cpu none "$v"); busy=$(scn_or recv.busy_poll 0 "$v")
	guard=$(scn_or idle_guard none "$v"); rps=$(scn_or rps.cpus none "$v")
	local expect=$(( count * interval / 1000000000 + 1 ))
	local run_id=$(( (RANDOM << 15 | RANDOM) + 1 ))

	{
		echo "variant=$v"
		echo "description=$(scn description "$v")"
		echo "experiment=net"
		echo "testbed=native"
		local k
		for k in $(printf '%s\n' "${!S[@]}" | grep -E '^(latency|period)\.[0-9]+$' | sort); do
			echo "$k=${S[$k]}"
		done
		[ -n "${S[join_window]-}" ] && echo "join_window_us=$(ns_to_us "${S[join_window]}")"
		[ -n "${S[hist_bin_cycles]-}" ] && echo "hist_bin_cycles=${S[hist_bin_cycles]}"
		echo "probe_count=$count"
		echo "probe_interval_ns=$interval"
		echo "probe_size=$psize"
		echo "flood_rate=$rate"
		echo "flood_size=$size"
		echo "flood_backend=$backend"
		echo "flood_cpu=$fcpu"
		echo "send_cpu=$scpu"
		echo "send_fifo=$fifo"
		echo "recv_cpu=$rcpu"
		echo "recv_busy_poll=$busy"
		echo "idle_guard=$guard"
		echo "rps_cpus=$rps"
		echo "run_id=$run_id"
		echo "started=$(stamp)"
	} >"$d/meta.txt"

	# RPS on the probe link's receive queue (0 = off).
	local mask=0
	[ "$rps" != none ] && mask=$(cpumask "$rps")
	runcmd "$v" ip netns exec "$NS_B" sh -c "echo $mask > /sys/class/net/prb/queues/rx-0/rps_cpus" || return 1

	args_stallmon "$v" "$d"; args_recv "$v" "$d" "$run_id"; args_flood "$v" "$d"; args_send "$v" "$d" "$run_id"
	local bound; bound=$(variant_bound "$v")
	[ ${#SM_ARGS[@]} -gt 0 ] && bg_start stallmon "$d/stallmon.log" "$bindir/nt-stallmon" "${SM_ARGS[@]}"
	if [ "$guard" != none ]; then
		# Low-priority (SCHED_IDLE) busy loop: the CPU never enters idle, any
		# other task preempts it at once.  Bounded in time.
		bg_start idle_guard /dev/null chrt --idle 0 taskset -c "$guard" \
			bash -c "end=\$((SECONDS + $bound)); while [ \$SECONDS -lt \$end ]; do :; done"
	fi

	bg_start recv "$d/recv.log" ip netns exec "$NS_B" "$bindir/nt-recv" "${RECV_ARGS[@]}"
	local i ok=0
	for ((i = 0; i < 100; i++)); do
		if ip netns exec "$NS_B" ss -Hlun "sport = :$PROBE_PORT" 2>/dev/null | grep -q .; then ok=1; break; fi
		kill -0 "${BG_PID[recv]}" 2>/dev/null || break
		sleep 0.1
	done
	if [ $ok = 0 ]; then
		say "$PROG: variant '$v': the receiver did not start (see $d/recv.log)"
		tb_stop_all
		return 1
	fi

	flood_start "$v" "$d" "$bound" || { tb_stop_all; return 1; }

	bg_start send "$d/send.log" ip netns exec "$NS_A" "$bindir/nt-send" "${SEND_ARGS[@]}"
	local t_start; t_start=$(date +%s)
	while kill -0 "${BG_PID[send]}" 2>/dev/null; do
		local el=$(( $(date +%s) - t_start ))
		local left=$(( expect - el )); [ $left -lt 0 ] && left=0
		progress "$VLABEL: sending $count probes every $iv_arg under the flood, ${el}s elapsed" \
			$(( left + 3 + REST_AFTER ))
		sleep 1
	done
	[ $tty = 1 ] && printf '\r\033[K' >&2
	local rc_send=0 rc_recv=0 rc_flood=0 rc_sm=0
	bg_stop send 5 || rc_send=$?
	# The receiver ends by itself once it has every packet; give stragglers 3 s.
	for ((i = 0; i < 30; i++)); do kill -0 "${BG_PID[recv]}" 2>/dev/null || break; sleep 0.1; done
	bg_stop recv 5 || rc_recv=$?
	[ -n "${BG_PID[flood]-}" ] && { bg_stop flood 5 || rc_flood=$?; }
	[ -n "${BG_PID[idle_guard]-}" ] && bg_stop idle_guard 2
	[ -n "${BG_PID[stallmon]-}" ] && { bg_stop stallmon 5 || rc_sm=$?; }
	runcmd "$v" ip netns exec "$NS_B" sh -c "echo 0 > /sys/class/net/prb/queues/rx-0/rps_cpus"
	{
		echo "finished=$(stamp)"
		echo "exit_send=$rc_send"
		echo "exit_recv=$rc_recv"
		echo "exit_flood=$rc_flood"
		echo "exit_stallmon=$rc_sm"
	} >>"$d/meta.txt"
	# A program the runner stopped (SIGTERM: 143) is fine for the flood, the
	# receiver (its loss is in its metadata) and the monitor; a program that
	# died or was stopped by someone else is not; the sender must finish.
	local bad=0 p
	for p in send recv flood stallmon; do
		local -n rc=rc_${p/stallmon/sm}
		case "$rc:${BG_TERMED[$p]-0}:$p" in
		0:*|143:1:recv|143:1:flood|143:1:stallmon) ;;
		*) say "$PROG: variant '$v': nt-$p exited $rc$( [ "${BG_TERMED[$p]-0}" = 1 ] || [ "$rc" -lt 128 ] ||
			echo " (a signal the runner did not send)") (see $d/$p.log)"; bad=1 ;;
		esac
		unset -n rc
	done
	# and a variant without data is not a measurement
	local ns nr
	ns=$(sed -n 's/^records=//p' "$d/send.csv.meta" 2>/dev/null) nr=$(sed -n 's/^records=//p' "$d/recv.csv.meta" 2>/dev/null)
	[ "${ns:-0}" -gt 0 ] && [ "${nr:-0}" -gt 0 ] ||
		{ say "$PROG: variant '$v': no data (send records: ${ns:-none}, receive records: ${nr:-none})"; bad=1; }
	local nk; nk=$(sed -n 's/^no_kernel_ts=//p' "$d/recv.csv.meta" 2>/dev/null)
	[ "${nk:-0}" = 0 ] || say "$PROG: variant '$v': warning: $nk packets without a kernel RX stamp"
	return $bad
}

tb_report() { [ "${S[experiment]}" = timer ] && tbt_report "$@"; return 0; }
