# SPDX-License-Identifier: GPL-2.0
# The timer experiment (experiment = timer) on the qemu-xen testbed, sourced by
# testbeds/qemu-xen.sh, which calls the qxt_* functions below at its hooks.
# The machine and the flow are the network experiment's (fresh boot per
# variant, dom0 on dom0.cpus, the real-time PV domU's vCPU pinned to
# eval.cpu, dom0's load NIC flooded from the host for the whole measurement);
# what differs is the interrupt the guest stamps, per variant's natsume:
#   off  the guest module's own periodic hrtimer (timer=hrtimer, period
#        timer.period, on the domU's vCPU 0): Xen's virtual timer
#        (VIRQ_TIMER); Xen boots without natsume-pit=;
#   pit  Xen boots with natsume-pit=<timer.period in us>,cpu=<eval.cpu>
#        (hv-probe patch 6: PIT channel 0, 1 ms -> 1193 ticks = 999.847 us),
#        dom0 makes the domU the handler of VIRQ_NATSUME_PIT (17, step
#        virq-handler) and the module binds it (timer=virq timer_virq=17),
#        so each tick is stamped at the guest's handler entry: period = guest
#        stamp to guest stamp, hv_entry (IRQ 0) -> timer = delivery latency.
# No probes are sent.  The measurement lasts timer.count periods plus 10 %
# and 2 s (ticks the emulated machine misses still leave timer.count periods
# in the usual case; what was missed is counted, see qxt_periods).

QXT_VIRQ=17 # VIRQ_NATSUME_PIT (hv-probe patch 6)

# qxt_check: the timer variants' keys (tb_check's hook)
qxt_check() {
	local v k bad=0
	for v in "${variants[@]}"; do
		case "$(scn natsume "$v")" in off|pit) ;;
		*) echo "$PROG: variant '$v': the timer experiment measures natsume = off (Xen's virtual timer)" \
			"or pit (the PIT through the Natsume handler), not '$(scn natsume "$v")'" >&2; bad=1 ;;
		esac
		[ -n "$(scn probe.count "$v")" ] &&
			{ echo "$PROG: variant '$v': probe.* is for experiment = net; use timer.period, timer.count" >&2; bad=1; }
		IFS=, read -r -a srcs <<<"$(scn_or sources hv,guest,stallmon "$v")"
		for k in "${srcs[@]}"; do
			case "$k" in hv|guest|stallmon) ;;
			*) echo "$PROG: variant '$v': the timer experiment on qemu-xen has no '$k' source" \
				"(hv, guest, stallmon)" >&2; bad=1 ;;
			esac
		done
		[[ ",$(scn_or sources hv,guest,stallmon "$v")," == *,guest,* ]] ||
			{ echo "$PROG: variant '$v': the timer experiment needs the guest source" >&2; bad=1; }
		local us=$(( $(qxt_period_ns "$v") / 1000 ))
		if [ "$(scn natsume "$v")" = pit ] && { [ "$us" -lt 100 ] || [ "$us" -gt 50000 ]; }; then
			echo "$PROG: variant '$v': natsume = pit takes timer.period 100 us .. 50 ms (got $us us)" >&2
			bad=1
		fi
	done
	return $bad
}

qxt_period_ns() { scn_or timer.period 1000000 "$1"; }

# qxt_counts V: QX_COUNT (periods) and QX_INTERVAL (ns) for the driver's
# bounds; QXT_MEASURE_S the measurement's length
qxt_counts() {
	local v=$1
	QX_COUNT=$(scn timer.count "$v") QX_INTERVAL=$(qxt_period_ns "$v")
	QXT_MEASURE_S=$(( (QX_COUNT * QX_INTERVAL / 1000000000 * 11 + 9) / 10 + 2 ))
}

tb_variant_seconds_timer() {
	qxt_counts "$1"
	echo $(( QXT_MEASURE_S + 75 ))
}

# qxt_xen_args V: the Xen options of the variant (pit: natsume-pit=; the
# tests' fault bad-pit-option: a natsume-pit= that Xen must refuse)
qxt_xen_args() {
	if [ "$(scn natsume "$1")" = pit ]; then
		echo "natsume-pit=$(( $(qxt_period_ns "$1") / 1000 )),cpu=$QX_CPU"
	elif [ "$(qx_fault_kind)" = bad-pit-option ]; then
		echo "natsume-pit=1000,cpu=7"
	fi
}

# qxt_module_args V: the guest module's timer mode
qxt_module_args() {
	if [ "$QX_NATSUME" = pit ]; then
		echo "timer=virq timer_virq=$QXT_VIRQ timer_cpu=0 rx=0"
	else
		echo "timer=hrtimer timer_period_us=$(( QX_INTERVAL / 1000 )) timer_cpu=0 rx=0"
	fi
}

# qxt_meta V: the timer lines of the variant's meta.txt (after the driver's)
qxt_meta() {
	local v=$1
	echo "timer_mode=$([ "$QX_NATSUME" = pit ] && echo "virq $QXT_VIRQ (the PIT, natsume-pit)" ||
		echo "hrtimer (Xen's virtual timer)")"
	echo "timer_period_ns=$QX_INTERVAL"
	echo "timer_count=$QX_COUNT"
	echo "measure_window_s=$QXT_MEASURE_S"
	[ "$(qx_fault_kind)" = bad-pit-option ] && echo "fault=bad-pit-option (test): natsume-pit=1000,cpu=7"
	# hv_entry / hv_deliver of IRQ 0 (Xen) -> the guest's timer stamp: join_irq_map, once the
	# guest's IRQ of the VIRQ is known (qxt_evidence); the hrtimer's stamps have no IRQ: no join
	[ -n "${S[join_window]-}" ] && echo "join_window_us=$(ns_to_us "${S[join_window]}")"
}

# qxt_after_domu: the pit variant's domU becomes the handler of the VIRQ
qxt_after_domu() {
	[ "$QX_NATSUME" = pit ] || return 0
	qx_step dom0 virq-handler 30 NT_DOMID="$(qx_kv domu.txt domid)" NT_VIRQ=$QXT_VIRQ
}

# qxt_clock TAG: dom0's clock, bracketed by the host's (host_before/after_s)
qxt_clock() {
	local h0 h1
	h0=$(xen_now)
	qx_step dom0 dom0-clock 30 NT_TAG="$1" || return 1
	h1=$(xen_now)
	printf 'host_before_s=%s\nhost_after_s=%s\n' "$h0" "$h1" >>"$QX_VDIR/dom0-clock-$1.txt"
}

# qxt_host_priority: on the host, QEMU's main thread (its event loop runs the
# emulated PIT and local APIC timers) and the thread of the real-time pCPU
# ("CPU <eval.cpu>/TCG") get nice -10, the other vCPU threads keep 0: under
# TCG on a host with few cores the emulation of dom0's flood would otherwise
# take the host CPU those two need, and the emulated pCPU 1 would lose ticks
# for a reason real pCPUs do not have (docs/scenarios.md).  On
# instruction-counted time (qemu.icount) one thread runs every vCPU in turn
# ("ALL CPUs/TCG"): it gets nice -10 instead.  There the host's delays cost
# ticks only while the whole machine is idle: QEMU (sleep=on) then advances
# the machine's clocks by the host time that passed before it ran again, and
# a late wake-up jumps over PIT edges.  Both variants alike; what was done goes
# to meta.txt.
qxt_host_priority() {
	local qpid t name done=""
	qpid=$(pgrep -P "$EMU_QPID" -f qemu-system 2>/dev/null | head -n1)
	[ -n "$qpid" ] || { echo "host_priority=none (QEMU's pid not found)"; return 0; }
	for t in /proc/"$qpid"/task/*; do
		t=${t##*/}
		name=$(cat "/proc/$qpid/task/$t/comm" 2>/dev/null)
		if [ "$t" = "$qpid" ] || [ "$name" = "CPU $QX_CPU/TCG" ] || [ "$name" = "ALL CPUs/TCG" ]; then
			renice -n -10 -p "$t" >/dev/null 2>&1 && done="$done, $name ($t)"
		fi
	done
	echo "host_priority=nice -10 for${done#,}; other QEMU threads nice 0"
}

# qxt_wait_emulated: with instruction-counted time (qemu.icount) the
# machine's clock runs slower than the host's while it computes, so the
# measurement lasts QXT_MEASURE_S seconds of the machine's time: one dom0
# job sleeps that long on dom0's clock (Xen's system time), so that waiting
# puts no work on dom0 (a job that read dom0's clock every few seconds cost
# the measured guest about a point of its periods: docs/scenarios.md);
# bounded by 30 times that of the host's time plus 60 s.  What it took goes
# to meta.txt.
qxt_wait_emulated() {
	local ts lim el
	ts=$(date +%s) lim=$(( QXT_MEASURE_S * 30 + 60 ))
	progress "$VLABEL: the guest stamps its timer ($QX_COUNT periods) under the flood; dom0 sleeps $QXT_MEASURE_S s of the machine's time" \
		$(( QXT_MEASURE_S * 7 + 40 + REST_AFTER ))
	qx_step dom0 dom0-sleep "$lim" NT_SLEEP_S="$QXT_MEASURE_S" ||
		{ qx_fail "dom0-sleep failed (bound: $lim s of the host's time)"; return 1; }
	el=$(awk -F= '$1 == "uptime_start_s" { a = $2 } $1 == "uptime_end_s" { b = $2 }
		END { printf "%.2f", b - a }' "$QX_VDIR/dom0-sleep.txt")
	printf 'measure_wait=instruction-counted: dom0 slept %s s of its clock in %s s of the host'"'"'s; no job ran in dom0 meanwhile\ndom0_sleep_advanced_s=%s\n' \
		"$QXT_MEASURE_S" "$(( $(date +%s) - ts ))" "$el" >>"$QX_VDIR/meta.txt"
}

# qxt_traffic V DIR EVAL_PORT LOAD_PORT: the flood into dom0's load NIC (the
# stall monitor beside it; qx_args maps the keys); the guest's stamping starts
# after the flood and stops before it (the whole measurement is under load);
# dom0's clock before and after the guest's stamping
qxt_traffic() {
	local v=$1 d=$2 ts el
	qx_args "$v" "$d" "$3" "$4" "$((QXT_MEASURE_S + 120))"
	qxt_host_priority >>"$d/meta.txt"
	[ ${#SM_ARGS[@]} -gt 0 ] && bg_start stallmon "$d/host/stallmon.log" "$bindir/nt-stallmon" "${SM_ARGS[@]}"
	if [ ${#FLOOD_ARGS[@]} -gt 0 ]; then
		bg_start flood "$d/host/flood.log" "$bindir/nt-flood" "${FLOOD_ARGS[@]}"
		sleep 1 # the flood reaches its rate before the measurement
		kill -0 "${BG_PID[flood]}" 2>/dev/null ||
			{ qx_fail "the flood generator stopped at once (host/flood.log)"; return 1; }
	fi
	# dom0's clock is read just outside the guest's stamping, not inside it
	# (a dom0 job there is process work that costs the guest ticks)
	qxt_clock before || { qx_fail "dom0-clock failed"; return 1; }
	# the guest stamps its timer only while the flood runs, from here to the
	# guest-probe-stop below (the reader runs until then: a reader that ended
	# by itself leaves files older than that step's mark, which it does not fetch)
	qx_guest_start || return 1
	if [ -n "$(qx_icount)" ]; then
		qxt_wait_emulated || return 1
	else
		ts=$(date +%s)
		while el=$(( $(date +%s) - ts )); [ $el -lt "$QXT_MEASURE_S" ] && emu_alive; do
			progress "$VLABEL: the guest stamps its timer ($QX_COUNT periods) under the flood, ${el}s elapsed" \
				$(( QXT_MEASURE_S - el + 40 + REST_AFTER ))
			sleep 1
		done
	fi
	[ $tty = 1 ] && printf '\r\033[K' >&2
	emu_alive || { qx_fail "the machine stopped during the measurement (serial-tail.txt)"; return 1; }
	qx_step domu guest-probe-stop 90 || { qx_fail "guest-probe-stop failed"; return 1; }
	qxt_clock after || { qx_fail "dom0-clock failed"; return 1; }
	local rc_flood=0
	bg_stop flood 5 || rc_flood=$?
	printf 'exit_flood=%s\n' "$rc_flood" >>"$d/meta.txt"
	case $rc_flood in 0|130|143) ;; *) qx_fail "nt-flood exited $rc_flood (host/flood.log)"; return 1 ;; esac
	return 0
}

# qxt_periods GUEST_CSV TSC_HZ PERIOD_NS: the periods rule, one definition
# (docs/scenarios.md "Expected periods"): the timer stamps sorted by tsc; the
# window is first to last stamp on the stamps' clock (Xen's TSC);
# expected = round(window / period), recorded = stamps - 1 (every stamp is a
# tick that reached the guest's handler, late or not), missed = expected -
# recorded (ticks that left no stamp).  How they went: periods_long = periods
# of 1.5 nominal periods or more (a tick late or lost), periods_short = under
# 0.5 (a late tick's catch-up), and the longest period.
qxt_periods() {
	awk -F, '$2 == "timer" { print $4 }' "$1" | sort -n | awk -v hz="$2" -v pns="$3" '
		{ t[n++] = $1 }
		END {
			if (n < 2 || hz <= 0) { print "timer_stamps=" n; exit }
			p = pns * hz / 1e9
			for (i = 1; i < n; i++) {
				d = t[i] - t[i - 1]
				if (d >= 1.5 * p) long++
				if (d < 0.5 * p) short++
				if (d > mx) mx = d
			}
			want = int((t[n - 1] - t[0]) / p + 0.5)
			miss = want - (n - 1)
			printf "timer_stamps=%d\ntimer_window_s=%.3f\nperiods_recorded=%d\nperiods_expected=%d\n",
				n, (t[n - 1] - t[0]) / hz, n - 1, want
			printf "periods_recorded_pct=%.1f\nperiods_missed=%d\nperiods_long=%d\nperiods_short=%d\n",
				(want > 0 ? 100 * (n - 1) / want : 0), (miss > 0 ? miss : 0), long + 0, short + 0
			printf "period_longest_ms=%.3f\n", mx / hz * 1e3
		}'
}

# qxt_redecode DIR: with Xen's raw trace kept (NT_QX_HV_RAW=1), a hv.csv that
# has damaged rows (bytes that are not CSV text: seen in dom0's CSV, never in
# the same trace decoded here) is decoded again on the host from hv.xt with
# the live run's options; dom0's file stays as hv.csv.dom0, its meta is kept.
qxt_redecode() {
	local d=$1 bad
	[ -s "$d/hv.xt" ] && [ -f "$d/hv.csv" ] || return 0
	bad=$(LC_ALL=C grep -c -a '[^[:print:]]' "$d/hv.csv")
	[ "${bad:-0}" -gt 0 ] || return 0
	if "$bindir/nt-hvcollect" --probe-cost -o "$d/hv-host.csv" decode "$d/hv.xt" >"$d/hv-host.log" 2>&1; then
		mv "$d/hv.csv" "$d/hv.csv.dom0"
		mv "$d/hv-host.csv" "$d/hv.csv"
		mv "$d/hv-host.csv.meta" "$d/hv.csv.meta.host" 2>/dev/null
		echo "hv_csv_redecoded=$bad damaged rows in dom0's hv.csv (kept as hv.csv.dom0); hv.csv decoded on the host from hv.xt"
	else
		rm -f "$d/hv-host.csv" "$d/hv-host.csv.meta"
		echo "hv_csv_damaged_rows=$bad (the host could not decode hv.xt: hv-host.log)"
	fi
}

# qxt_evidence DIR: the timer's evidence, printed (into meta.txt after xen_evidence)
qxt_evidence() {
	local d=$1 hz pns domid lo hi
	hz=$(sed -n 's/^tsc_hz=//p' "$d/hv.csv.meta" 2>/dev/null | tail -n1)
	[ -n "$hz" ] || hz=$(awk -F: '/^cpu_mhz/ { printf "%.0f", $2 * 1e6 }' "$d/xl-info.txt" 2>/dev/null)
	pns=$QX_INTERVAL
	if [ "$QX_NATSUME" = pit ]; then
		# the PIT's real period: whole ticks of 1.193182 MHz (Xen's log says which)
		pns=$(sed -n 's/.*natsume: PIT channel 0 every [0-9]* ticks (\([0-9]*\) ns).*/\1/p' \
			"$d/xl-dmesg-after.txt" 2>/dev/null | tail -n1)
		[ -n "$pns" ] || pns=$QX_INTERVAL
	fi
	# what Xen said about natsume-pit= (handed over, or why not), from its boot log on
	echo "natsume_pit_log=$(grep -h 'natsume: PIT' "$d/xl-dmesg-boot.txt" "$d/xl-dmesg-after.txt" 2>/dev/null |
		sed 's/^(XEN) *//' | sort -u | tr '\n' '|')"
	echo "timer_nominal_period_ns=$pns"
	echo "xen_cpu_mhz=$(sed -n 's/^cpu_mhz *: *//p' "$d/xl-info.txt" 2>/dev/null | tail -n1)"
	[ -f "$d/guest.csv" ] && [ -n "$hz" ] && qxt_periods "$d/guest.csv" "$hz" "$pns"
	grep -E '^(virq_ticks|timer_irq)=' "$d/probe-stats.txt" 2>/dev/null
	local tirq
	tirq=$(sed -n 's/^timer_irq=//p' "$d/probe-stats.txt" 2>/dev/null | tail -n1)
	if [ "$QX_NATSUME" = pit ] && [ -n "$tirq" ] && [ "$tirq" != -1 ]; then
		# the nearest join of Xen's IRQ 0 with the guest's stamps of that VIRQ's IRQ only
		printf 'join_irq=map\njoin_irq_map=0:%s\n' "$tirq"
	fi
	awk '/hr_ticks=/ { for (i = 1; i <= NF; i++) { split($i, a, "=");
		if (a[1] == "hr_ticks") t += a[2]; if (a[1] == "hr_overruns") o += a[2] } }
		END { if (t != "") printf "hr_ticks=%d\nhr_overruns=%d\n", t, o }' "$d/probe-stats.txt" 2>/dev/null
	domid=$(qx_kv domu.txt domid)
	if [ -f "$d/hv.csv" ]; then
		# Xen's IRQ 0 over the guest's window: what reached Xen, what it delivered and to whom
		read -r lo hi < <(awk -F, '$2 == "timer" { if (lo == "" || $4 < lo) lo = $4; if ($4 > hi) hi = $4 }
			END { print lo + 0, hi + 0 }' "$d/guest.csv" 2>/dev/null)
		awk -F, -v dom="$domid" -v lo="${lo:-0}" -v hi="${hi:-0}" '
			$5 != 0 || ($2 != "hv_entry" && $2 != "hv_deliver") { next }
			$2 == "hv_entry" { e++; if ($4 >= lo && $4 <= hi) ew++ }
			$2 == "hv_deliver" { dl++; if ($8 != dom) other++ }
			index($10, "natsume") == 0 { nf++ }
			END { printf "hv_irq0_entries=%d\nhv_irq0_entries_in_window=%d\nhv_irq0_deliveries=%d\n", e, ew, dl
			      printf "hv_irq0_deliveries_to_other=%d\nhv_irq0_without_natsume_flag=%d\n", other, nf }' "$d/hv.csv"
	fi
	qxt_clock_evidence "$d"
}

# qxt_clock_evidence DIR: dom0's clock against the host's over the
# measurement (the host's marks bracket dom0's reading), Xen's clock warnings
qxt_clock_evidence() {
	local d=$1
	local b=$d/dom0-clock-before.txt a=$d/dom0-clock-after.txt
	if [ -f "$b" ] && [ -f "$a" ]; then
		awk -F= 'FNR == NR { x[$1] = $2; next } { y[$1] = $2 }
			END {
				dd = y["uptime_s"] - x["uptime_s"]
				hmin = y["host_before_s"] - x["host_after_s"]; hmax = y["host_after_s"] - x["host_before_s"]
				printf "dom0_clock_advanced_s=%.2f\nhost_clock_advanced_s=%.2f..%.2f\n", dd, hmin, hmax
				printf "dom0_clocksource=%s\ndom0_clock_warnings_new=%d\n", y["clocksource"],
					y["clock_warnings"] - x["clock_warnings"]
			}' "$b" "$a"
	fi
	echo "xen_clock_warnings=$(qxt_xen_clock_warnings "$d/xl-dmesg-after.txt" | wc -l)"
}

# qxt_xen_clock_warnings FILE: the lines of Xen's log that say its own
# timekeeping is in trouble
qxt_xen_clock_warnings() {
	grep -iE "time went backwards|TSC.*(unstable|warp|skew)|WARNING.*(clock|timer|time )|Unable to find usable platform timer|timer.*not connected|CMOS.*(time|clock)|lost ticks|platform timer.*(stop|wrap)" \
		"$1" 2>/dev/null
}

# qxt_check_data DIR: the guest stamped its timer
qxt_check_data() {
	local d=$1 n
	n=$(grep -c ',timer,' "$d/guest.csv" 2>/dev/null)
	[ "${n:-0}" -ge 2 ] || { say "$PROG: $VLABEL: ${n:-0} timer stamps in guest.csv"; return 1; }
	if qx_has hv && [ ! -s "$d/hv.csv" ]; then say "$PROG: $VLABEL: no hypervisor records"; return 1; fi
	return 0
}

tb_variant_summary_timer() {
	local d=$2 s
	printf ' (%s timer stamps' "$(sed -n 's/^timer_stamps=//p' "$d/meta.txt" | tail -n1)"
	s=$(sed -n 's/^periods_recorded_pct=//p' "$d/meta.txt" | tail -n1)
	[ -n "$s" ] && printf ', %s %% of the expected periods' "$s"
	s=$(sed -n 's/^boot_to_ready_s=//p' "$d/meta.txt" | tail -n1)
	[ -n "$s" ] && printf ', ready %s s' "$s"
	printf ')'
}
