# SPDX-License-Identifier: GPL-2.0
# Shared by the qemu-xen and hosts testbeds (sourced by scenarios/run): the
# check that says exactly what is missing before anything is started.  The
# runner does not fake a Xen run: when a piece is absent it refuses.

# xen_missing: prints one line per missing piece; returns 1 if any.
xen_missing() {
	local miss=0 v
	for v in "${variants[@]}"; do
		if [ -z "$(scn natsume "$v")" ]; then
			echo "  - variant '$v' does not say which path it measures (natsume = off|cpu|vector|all)"
			miss=1
		fi
	done
	# Programs of the pipeline (built by `make` when their components exist).
	local p
	for p in nt-hvcollect nt-flood nt-send nt-analyze nt-stallmon nt-hostinfo; do
		[ -x "$bindir/$p" ] || { echo "  - program $bindir/$p (run \`make\`)"; miss=1; }
	done
	# The patched hypervisor (hv-probe/build-xen.sh) and the guest module
	# (guest-probe: build/<variant>/modules/<kver>/nt_guest_probe.ko).
	local xen=${NT_XEN_IMAGE:-$top/build/xen/out/xen.gz}
	[ -f "$xen" ] || { echo "  - the patched Xen 4.17 image $xen (hv-probe/build-xen.sh; or set NT_XEN_IMAGE)"; miss=1; }
	local ko
	ko=$(ls "$top"/build/*/modules/*/nt_guest_probe.ko 2>/dev/null | head -n1)
	[ -n "$ko" ] || { echo "  - the guest-probe kernel module build/*/modules/<kver>/nt_guest_probe.ko (make -C guest-probe)"; miss=1; }
	[ "$testbed" != qemu-xen ] || [ -x "$top/testbed/qemu.sh" ] ||
		{ echo "  - testbed/qemu.sh (boots the patched Xen under QEMU)"; miss=1; }
	return $miss
}

# ---------------------------------------------------------------- evidence
# What a Xen variant's files show about the machine, shared by the drivers
# that run the remote steps (testbed/steps/) on a Xen host: the files are in
# the variant folder DIR, the senders' files in DIR/SENDER (host: the
# emulated testbed's host; sender: the hosts testbed's senders).

# xen_now: seconds since the epoch (0.1 s); xen_dt A B: B - A, one decimal
xen_now() { date +%s.%N | cut -c1-14; }
xen_dt() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# xen_kv DIR FILE KEY: the last value of KEY in DIR/FILE (key=value)
xen_kv() { sed -n "s/^$3=//p" "$1/$2" 2>/dev/null | tail -n1; }

# xen_evidence DIR SENDER CLOCK_NOTE STALL_NOTE: into DIR/meta.txt: the evaluation
# domain and its Xen IRQ, that IRQ's line in Xen's own dump (shared with dom0
# or not), the Natsume lines of Xen's log, the guest's interrupt counts, the
# load the load NIC received, Xen's TSC frequency; the first variant with a
# frequency also writes it into the run's meta.txt (the analyzer's clock for
# hv and guest stamps), with CLOCK_NOTE saying what that TSC is; STALL_NOTE
# says whose clock the stall monitor's is.
XEN_HZ_SET=0
xen_evidence() {
	local d=$1 snd=$2 note=$3 snote=$4 domid xirq line hz="" gi
	domid=$(xen_kv "$d" domu.txt domid)
	{
		echo "eval_dom=$domid"
		echo "probes_sent=$(xen_kv "$d" "$snd/send.csv.meta" count)"
		if [ -f "$d/hv.csv" ] && [ -n "$domid" ]; then
			xirq=$(awk -F, -v dom="$domid" '$2 == "hv_deliver" && $8 == dom { n[$5]++ }
				END { for (k in n) if (n[k] > best) { best = n[k]; b = k }; print b }' "$d/hv.csv")
			echo "eval_xen_irq=$xirq"
			echo "hv_deliver_to_eval=$(awk -F, -v dom="$domid" '$2 == "hv_deliver" && $8 == dom' "$d/hv.csv" | wc -l)"
			echo "hv_natsume_records=$(grep -c ',natsume' "$d/hv.csv")"
			echo "hv_direct_records=$(grep -c 'direct' "$d/hv.csv")"
			echo "hv_direct_to_other=$(awk -F, -v dom="$domid" '$10 ~ /direct/ && $2 == "hv_deliver" && $8 != dom' "$d/hv.csv" | wc -l)"
			line=$(grep -E "IRQ: *$xirq vec" "$d/xen-irqs-before.txt" 2>/dev/null | head -n1 | sed 's/^(XEN) *//')
			echo "eval_xen_line=$line"
			if grep -Eq "d0: *[0-9]+\(" <<<"$line" && grep -Eq "d$domid: *[0-9]+\(" <<<"$line"; then
				echo "eval_line_shared=yes (Xen's IRQ $xirq is bound to dom0 and d$domid)"
			else
				echo "eval_line_shared=no"
			fi
			hz=$(xen_kv "$d" hv.csv.meta tsc_hz)
			if [ -n "$hz" ]; then
				echo "tsc_hz=$hz"
				echo "tsc_hz_method=$(xen_kv "$d" hv.csv.meta tsc_hz_method) (Xen's TSC; the guest runs with tsc_mode=native)"
			fi
			echo "natsume_config=$(xen_kv "$d" hv.csv.meta natsume_config)"
			echo "hv_lost_trace_records=$(xen_kv "$d" hv.csv.meta lost_trace_records)"
		fi
		echo "natsume_xen_log=$(grep -h 'natsume:' "$d/xl-dmesg-after.txt" 2>/dev/null | sed 's/^(XEN) *//' | sort -u | tr '\n' '|')"
		gi=$(xen_kv "$d" guest-nic.txt irq)
		if [ -n "$gi" ]; then
			echo "guest_irq=$gi ($(xen_kv "$d" guest-nic.txt irq_name), $(xen_kv "$d" guest-nic.txt irq_mode))"
			echo "guest_irq_line_before=$(awk -v i="$gi:" '$1 == i' "$d/interrupts-before.txt" 2>/dev/null | tr -s ' ')"
			echo "guest_irq_line_after=$(awk -v i="$gi:" '$1 == i' "$d/interrupts-after.txt" 2>/dev/null | tr -s ' ')"
			echo "guest_irq_tied=$(xen_kv "$d" guest.csv.meta guest.irq_tied)"
		fi
		xen_load_rate "$d" "$snd"
		[ -f "$d/$snd/stall.csv" ] && xen_host_stalls "$d/$snd" "$snote"
	} >>"$d/meta.txt"
	if [ $XEN_HZ_SET = 0 ] && [ -n "$hz" ]; then
		{
			echo "host_tsc_hz=$(sed -n 's/^tsc_hz=//p' "$run_dir/meta.txt" | head -n1)"
			echo "tsc_hz=$hz"
			echo "tsc_hz_method=Xen's cpu_khz (xc_physinfo, via nt-hvcollect in variant $cur_variant): $note"
		} >>"$run_dir/meta.txt"
		XEN_HZ_SET=1
	fi
}

# xen_host_stalls DIR NOTE: what the stall monitor DIR/stall.csv saw, and
# NOTE (whose clock it is)
xen_host_stalls() {
	local d=$1 hz
	hz=$(xen_kv "$d" stall.csv.meta tsc_hz)
	awk -F, -v hz="${hz:-0}" -v note="$2" -v dur="$(xen_kv "$d" stall.csv.meta duration_s)" '
		$2 == "stall" { n++; t += $9; if ($9 > m) m = $9 }
		END {
			if (hz <= 0) exit
			printf "host_stalls=%.0f stalls over the threshold in %.1f s, %.1f ms in all (%.1f %%), longest %.1f ms ", n, dur, t / hz * 1e3, (dur > 0 ? t / hz / dur * 100 : 0), m / hz * 1e3
			printf "(%s)\n", note
		}' "$d/stall.csv"
}

# xen_load_rate DIR SENDER: the load the load NIC received (dom0's counters),
# and what the flood generator sent (SENDER/flood.meta)
xen_load_rate() {
	local d=$1 b=$1/counters-before.txt a=$1/counters-after.txt f=$1/$2/flood.meta
	[ -f "$b" ] && [ -f "$a" ] || return 0
	awk -F= 'FNR == NR { x[$1] = $2; next } { y[$1] = $2 }
		END {
			dt = y["uptime_s"] - x["uptime_s"]
			if (dt <= 0) exit
			# rx_bytes counts whole frames without the FCS: the size nt-flood counts
			p = y["rx_packets"] - x["rx_packets"]; by = y["rx_bytes"] - x["rx_bytes"]
			i = y["irq_count"] - x["irq_count"]
			printf "load_received_packets=%.0f\nload_received_seconds=%.1f\n", p, dt
			printf "load_received_pps=%.0f\nload_received_mbps=%.2f\n", p / dt, by * 8 / dt / 1e6
			printf "load_irqs=%.0f\nload_irqs_per_s=%.0f\n", i, i / dt
			printf "load_rx_dropped=%.0f\nload_rx_missed=%.0f\n", y["rx_dropped"] - x["rx_dropped"], y["rx_missed_errors"] - x["rx_missed_errors"]
		}' "$b" "$a"
	[ -f "$f" ] && echo "load_sent=$(sed -n 's/^sent=//p' "$f") frames, $(sed -n 's/^pps=//p' "$f") pps," \
		"$(sed -n 's/^mbps_frames=//p' "$f") Mbit/s ($2, nt-flood)"
	return 0
}

# xen_check_data DIR SENDER COUNT HV GUEST: the variant has the records its
# sources promise (HV, GUEST: 1 when the source is on); says what is missing
xen_check_data() {
	local d=$1 bad=0 sent
	if [ "$4" = 1 ] && [ ! -s "$d/hv.csv" ]; then say "$PROG: $VLABEL: no hypervisor records"; bad=1; fi
	if [ "$5" = 1 ] && [ ! -s "$d/guest.csv" ]; then say "$PROG: $VLABEL: no guest records"; bad=1; fi
	sent=$(xen_kv "$d" "$2/send.csv.meta" count)
	[ "${sent:-0}" = "$3" ] || { say "$PROG: $VLABEL: sent ${sent:-0} of $3 probes"; bad=1; }
	return $bad
}
