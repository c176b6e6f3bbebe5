# SPDX-License-Identifier: GPL-2.0
# The timer experiment on the native testbed (experiment = timer), sourced by
# testbeds/native.sh: the native analogue of the real-time guest's 1 ms timer.
#
# Per variant, under the same flood as the network experiment (netns A floods
# flb in netns B over veth; on veth the receive softirq runs on the flooding
# CPU): nt-tick (a SCHED_FIFO thread pinned to timer.cpu sleeping to absolute
# CLOCK_MONOTONIC deadlines every timer.period, a `timer` stamp per wake-up)
# for timer.count periods, then, with source `cyclictest`, Debian's cyclictest
# (rt-tests) with the same CPU, priority, interval and count, as a peer.
# nt-stallmon runs beside both.  The measure is the period (period.0 = timer);
# cyclictest reports wake-up latency (now - deadline): both programs measure
# it, and tbt_report adds the table to report.md.  The two relate as
# period_i = T + lat_i - lat_(i-1): a period is the deadline distance plus the
# difference of two consecutive wake-up latencies.

TBT_SOURCES="tick cyclictest stallmon"

tbt_has() { [[ ",$(scn_or sources tick,stallmon "$2")," == *,$1,* ]]; }

# tbt_check: what the timer experiment needs beyond the native testbed's checks.
tbt_check() {
	local bad=0 v
	for v in "${variants[@]}"; do
		[ -n "$(scn probe.count "$v")" ] &&
			{ echo "$PROG: variant '$v': probe.* is for experiment = net; use timer.period, timer.count" >&2; bad=1; }
		if tbt_has cyclictest "$v" && ! command -v cyclictest >/dev/null; then
			echo "$PROG: 'cyclictest' is missing (Debian package rt-tests; scenarios/deps.txt)" >&2
			return 1
		fi
	done
	[ $bad = 0 ]
}

tbt_variant_seconds() {
	local v=$1 n p k=1
	n=$(scn timer.count "$v"); p=$(scn_or timer.period 1000000 "$v")
	tbt_has cyclictest "$v" && k=2
	echo $(( k * n * p / 1000000000 + 3 * k + 2 ))
}

tbt_variant_summary() {
	local v=$1 d=$2 t
	t=$(grep -c ',timer,' "$d/tick.csv" 2>/dev/null); t=${t:-0}
	printf ' (%s timer stamps' "$t"
	[ -f "$d/cyclictest.txt" ] && printf ', cyclictest %s' "$(sed -n 's/^summary=//p' "$d/cyclictest.txt")"
	local fm; fm=$(sed -n 's/^mbps_frames=//p' "$d/flood.meta" 2>/dev/null)
	[ -n "$fm" ] && printf ', flood %s Mbit/s' "$fm"
	printf ')'
}

# tbt_wait NAME SECONDS WHAT: wait for a background program, with progress.
tbt_wait() {
	local name=$1 expect=$2 what=$3 t_start el left
	t_start=$(date +%s)
	while kill -0 "${BG_PID[$name]}" 2>/dev/null; do
		el=$(( $(date +%s) - t_start )); left=$(( expect - el )); [ $left -lt 0 ] && left=0
		progress "$VLABEL: $what under the flood, ${el}s elapsed" $(( left + REST_AFTER ))
		sleep 1
	done
	[ $tty = 1 ] && printf '\r\033[K' >&2
	bg_stop "$name" 5
}

# tbt_cyclictest_summary FILE: "min avg max" in us from cyclictest -q's line
# "T: 0 (pid) P:80 I:1000 C: 5000 Min: 3 Act: 5 Avg: 6 Max: 40".
tbt_cyclictest_summary() {
	awk '/^T: *[0-9]+ / { for (i = 1; i <= NF; i++) { if ($i == "C:") c = $(i + 1); if ($i == "Min:") mn = $(i + 1)
		if ($i == "Avg:") av = $(i + 1); if ($i == "Max:") mx = $(i + 1) }
		printf "cycles=%s\nmin_us=%s\navg_us=%s\nmax_us=%s\n", c, mn, av, mx; f = 1 }
		END { exit !f }' "$1"
}

tbt_variant() {
	local v=$1 d=$2 count period tcpu fifo stallmon=0
	cur_variant=$v
	count=$(scn timer.count "$v"); period=$(scn_or timer.period 1000000 "$v")
	tcpu=$(scn_or timer.cpu none "$v"); fifo=$(scn_or timer.fifo none "$v")
	tbt_has stallmon "$v" && [ "$(scn_or stallmon 1 "$v")" = 1 ] && stallmon=1
	local pus; pus=$(ns_to_us "$period")
	local expect=$(( count * period / 1000000000 + 1 ))
	local bound=$(( $(tbt_variant_seconds "$v") + 60 ))
	{
		echo "variant=$v"
		echo "description=$(scn description "$v")"
		echo "experiment=timer"
		echo "testbed=native"
		local k
		for k in $(printf '%s\n' "${!S[@]}" | grep -E '^(latency|period)\.[0-9]+$' | sort); do
			echo "$k=${S[$k]}"
		done
		[ -n "${S[hist_bin_cycles]-}" ] && echo "hist_bin_cycles=${S[hist_bin_cycles]}"
		echo "timer_period_ns=$period"
		echo "timer_count=$count"
		echo "timer_cpu=$tcpu"
		echo "timer_fifo=$fifo"
		echo "flood_rate=$(scn_or flood.rate off "$v")"
		echo "flood_cpu=$(scn_or flood.cpu none "$v")"
		echo "started=$(stamp)"
	} >"$d/meta.txt"
	if [ $stallmon = 1 ]; then
		args_stallmon "$v" "$d" "$bound" # the one mapping to nt-stallmon's options (native.sh)
		bg_start stallmon "$d/stallmon.log" "$bindir/nt-stallmon" "${SM_ARGS[@]}"
	fi
	flood_start "$v" "$d" "$bound" || { tb_stop_all; return 1; }
	# N periods need N+1 stamps.
	local ta=(--out "$d/tick.csv" --count $((count + 1)) --period "${pus}us")
	[ "$tcpu" != none ] && ta+=(--cpu "$tcpu")
	[ "$fifo" != none ] && ta+=(--fifo "$fifo")
	bg_start tick "$d/tick.log" "$bindir/nt-tick" "${ta[@]}"
	local rc_tick=0 rc_ct=0 rc_flood=0 rc_sm=0
	tbt_wait tick "$expect" "nt-tick: $count periods of ${pus} us" || rc_tick=$?
	if tbt_has cyclictest "$v" && [ $tb_interrupted = 0 ]; then
		local ca=(cyclictest -t1 -i "$pus" -l "$count" -m -q --json="$d/cyclictest.json")
		[ "$tcpu" != none ] && ca+=(-a "$tcpu")
		[ "$fifo" != none ] && ca+=(-p "$fifo")
		bg_start cyclictest "$d/cyclictest.log" timeout "$bound" "${ca[@]}"
		tbt_wait cyclictest "$expect" "cyclictest (peer): $count loops of ${pus} us" || rc_ct=$?
		if tbt_cyclictest_summary "$d/cyclictest.log" >"$d/cyclictest.txt"; then
			printf 'summary=wake-up latency min %s avg %s max %s us\n' \
				"$(sed -n 's/^min_us=//p' "$d/cyclictest.txt")" "$(sed -n 's/^avg_us=//p' "$d/cyclictest.txt")" \
				"$(sed -n 's/^max_us=//p' "$d/cyclictest.txt")" >>"$d/cyclictest.txt"
		else
			rm -f "$d/cyclictest.txt"
			say "$PROG: variant '$v': no summary line from cyclictest (see $d/cyclictest.log)"
			rc_ct=1
		fi
	fi
	[ -n "${BG_PID[flood]-}" ] && { bg_stop flood 5 || rc_flood=$?; }
	[ -n "${BG_PID[stallmon]-}" ] && { bg_stop stallmon 5 || rc_sm=$?; }
	printf 'finished=%s\nexit_tick=%s\nexit_cyclictest=%s\nexit_flood=%s\nexit_stallmon=%s\n' \
		"$(stamp)" "$rc_tick" "$rc_ct" "$rc_flood" "$rc_sm" >>"$d/meta.txt"
	local bad=0
	[ $rc_tick = 0 ] || { say "$PROG: variant '$v': nt-tick exited $rc_tick (see $d/tick.log)"; bad=1; }
	[ $rc_ct = 0 ] || { say "$PROG: variant '$v': cyclictest exited $rc_ct (see $d/cyclictest.log)"; bad=1; }
	case $rc_flood in 0|130|143) ;; *) say "$PROG: variant '$v': nt-flood exited $rc_flood"; bad=1 ;; esac
	case $rc_sm in 0|130|143) ;; *) say "$PROG: variant '$v': nt-stallmon exited $rc_sm"; bad=1 ;; esac
	return $bad
}

# tbt_report RUN_DIR: the peer's result beside ours, appended to report.md.
tbt_report() {
	local r=$1 v d m
	[ -f "$r/report.md" ] || return 0
	{
		echo
		echo "## Peer: cyclictest (rt-tests), wake-up latency"
		echo
		echo "cyclictest measures the wake-up latency of a periodic SCHED_FIFO thread (CLOCK_MONOTONIC after"
		echo "clock_nanosleep returned minus the deadline), run right after nt-tick with the same CPU, priority,"
		echo "interval and count, under the same flood. nt-tick measures the same latency for its own loop, and"
		echo "the period (TSC stamp to stamp) above: period_i = T + lat_i - lat_(i-1), so the period's spread is"
		echo "the difference of consecutive wake-up latencies (max period - T <= max lat - min lat; for"
		echo "independent latencies stddev(period) = sqrt(2) x stddev(lat)). Clock: CLOCK_MONOTONIC, 1 us"
		echo "resolution in cyclictest's summary; the host was disturbed as the stall counts above say."
		echo
		echo "| variant | nt-tick latency min / avg / max (us) | cyclictest min / avg / max (us) | cyclictest loops |"
		echo "|---|---:|---:|---:|"
		for v in "${variants[@]}"; do
			d=$r/$v; m=$d/tick.csv.meta
			[ -f "$m" ] || continue
			printf '| %s | %s / %s / %s | ' "$v" "$(sed -n 's/^wake_latency_min_us=//p' "$m")" \
				"$(sed -n 's/^wake_latency_avg_us=//p' "$m")" "$(sed -n 's/^wake_latency_max_us=//p' "$m")"
			if [ -f "$d/cyclictest.txt" ]; then
				printf '%s / %s / %s | %s |\n' "$(sed -n 's/^min_us=//p' "$d/cyclictest.txt")" \
					"$(sed -n 's/^avg_us=//p' "$d/cyclictest.txt")" "$(sed -n 's/^max_us=//p' "$d/cyclictest.txt")" \
					"$(sed -n 's/^cycles=//p' "$d/cyclictest.txt")"
			else
				printf 'not run | |\n'
			fi
		done
	} >>"$r/report.md"
}
