# SPDX-License-Identifier: GPL-2.0
# The qemu-xen testbed (sourced by scenarios/run): the papers' machine under
# QEMU TCG, booted fresh for every variant by the emulated-testbed library
# (testbed/).  See docs/scenarios.md ("The qemu-xen testbed").
#
#   QEMU TCG, q35, emulated VT-d with interrupt remapping, 2 pCPUs
#   +-- the patched Xen 4.17 (natsume=<eval BDF>,cpu=<eval pCPU> in the
#   |   vector and all variants)
#   +-- dom0 (PV, its vCPUs pinned to dom0.cpus): owns the load NIC, an e1000
#   |   at 00:03.1 flooded from the host; runs nt-hvcollect
#   +-- the evaluation guest (PV domU, 1 vCPU, tsc_mode native): owns the
#       evaluation NIC, an e1000e at 00:03.0 passed through (INTx on the
#       slot's INTA line, shared with the load NIC, or MSI-X), receives the
#       probes; runs the guest module, nt-guest-read, nt-busyloop
#   host: nt-send and nt-flood into the two NICs' socket netdevs
#
# Per variant, from the scenario ([xen] keys, overridable per variant):
#   natsume   off | cpu | vector | all; vector/all boot Xen with natsume=
#   eval.irq  intx | msix (default: intx for off/cpu, msix for vector/all)
#   eval.pin  hard-pin the evaluation vCPU to eval.cpu (default: cpu/all)
#   eval.cpu  the evaluation pCPU (default 1); dom0.cpus dom0's pCPUs (default 0)
#   busy_loop nt-busyloop (SCHED_IDLE) keeps the evaluation vCPU out of idle
# The remote steps (testbed/steps/) run in dom0 through the 9p job channel
# and in the domU through domu.sh (the control link).

. "$here/testbeds/xen-common.sh"
# The passthrough-cost experiment has its own driver.
if [ "${S[experiment]}" = io ]; then
	. "$here/testbeds/qemu-xen-io.sh"
	return 0
fi
. "$top/testbed/emu.sh"
# experiment = timer: the qxt_* hooks below (the papers' timer experiment)
. "$here/testbeds/qemu-xen-timer.sh"

QX_EVAL_BDF=0000:00:03.0
QX_EVAL_MAC=52:54:00:12:34:03 QX_LOAD_MAC=52:54:00:12:34:31
QX_GUEST_IP=192.0.2.2 QX_SENDER_IP=192.0.2.1 QX_PROBE_PORT=7001
QX_LOAD_IP=203.0.113.2 QX_FLOOD_IP=203.0.113.1 QX_FLOOD_PORT=9
QX_DOM0_CTL=198.51.100.1/24 QX_DOMU_CTL=198.51.100.2/24 QX_DOMU_CTL_MAC=00:16:3e:4e:54:02
QX_AGENT_PORT=7000
QX_TOOLS="" QX_XEN="" QX_DOM0_IMG="" QX_KERNEL=""
tb_interrupted=0

# ---------------------------------------------------------------- checks
tb_check() {
	local out miss=0 v k
	[ "${S[experiment]}" = timer ] && { qxt_check || return 1; }
	for v in "${variants[@]}"; do
		case "${S[experiment]}:$(scn natsume "$v")" in net:off|net:cpu|net:vector|net:all|timer:*) ;;
		*) echo "$PROG: variant '$v' does not say which path it measures (natsume = off|cpu|vector|all)" >&2
		   return 1 ;;
		esac
		[ "$(scn_or nic.load e1000-shared-intx "$v")" = e1000-shared-intx ] &&
			[ "$(scn_or nic.eval passthrough "$v")" = passthrough ] || {
			echo "$PROG: variant '$v': qemu-xen builds nic.load = e1000-shared-intx and" \
				"nic.eval = passthrough only" >&2
			return 1
		}
		IFS=, read -r -a srcs <<<"$(qx_sources "$v")"
		for k in "${srcs[@]}"; do
			case "$k" in hv|guest|send|stallmon) ;;
			*) echo "$PROG: variant '$v': the qemu-xen testbed has no '$k' probe (hv, guest, send, stallmon)" >&2
			   return 1 ;;
			esac
		done
		for k in eval.cpu dom0.cpus; do
			local c val
			val=$(scn "$k" "$v")
			IFS=, read -r -a cl <<<"$val"
			for c in "${cl[@]}"; do
				case "$c" in ''|none|all) continue ;; esac
				[ "$c" -lt "$(scn_or qemu.smp 2)" ] || {
					echo "$PROG: variant '$v': $k = $c, but the emulated machine has pCPUs" \
						"0..$(( $(scn_or qemu.smp 2) - 1 ))" >&2
					return 1
				}
			done
		done
	done
	out=$(qx_missing) || miss=1
	[ $miss = 1 ] || qx_check_args || return 2
	if [ $miss = 1 ]; then
		{
			echo "$PROG: testbed 'qemu-xen' is not ready here, so '$name' cannot run. Missing:"
			printf '%s\n' "$out" | sed '/^$/d'
			echo "$PROG: nothing was started and no run folder was written."
		} >&2
		return 1
	fi
	return 0
}

# qx_missing: one line per missing piece (the patched Xen, the images and
# the guest module are built by tb_setup when their sources can be had)
qx_missing() {
	local miss=0 p
	command -v qemu-system-x86_64 >/dev/null ||
		{ echo "  - qemu-system-x86_64 (Debian package qemu-system-x86)"; miss=1; }
	local progs=(nt-send nt-flood nt-hostinfo)
	[ "$analyze" = 1 ] && progs+=(nt-analyze)
	for p in "${progs[@]}" nt-stallmon; do
		[ -x "$bindir/$p" ] || { echo "  - program $bindir/$p (run \`make\`)"; miss=1; }
	done
	for p in cpio gzip depmod modprobe ss; do
		command -v "$p" >/dev/null || { echo "  - $p (Debian packages cpio, kmod, iproute2)"; miss=1; }
	done
	"$top/guest-probe/scripts/kver.sh" --installed >/dev/null 2>&1 ||
		{ echo "  - kernel headers for the guest module ($top/guest-probe/scripts/get-kernel.sh, as root)"; miss=1; }
	pkg-config --exists xencontrol 2>/dev/null ||
		{ echo "  - libxen-dev (the static dom0 collector; scripts/deps.sh)"; miss=1; }
	return $miss
}

# ---------------------------------------------------------------- set-up
# Builds (or takes from the caches) the patched Xen, the images, the guest
# module, the static collector and the tools share; writes testbed.txt.
tb_setup() {
	local log=$run_dir/testbed-setup.log
	: >"$log"
	say "$PROG: qemu-xen: preparing the patched Xen, the images, the guest module (cached after the first run)"
	logcmd setup "$top/hv-probe/build-xen.sh"
	if ! emu_xen_patched; then
		say "$PROG: $EMU_WHY"
		return 1
	fi
	QX_XEN=$EMU_XEN
	logcmd setup "$top/testbed/mkimage.sh" dom0
	emu_image dom0 >>"$log" 2>&1 || { say "$PROG: testbed/mkimage.sh dom0 failed (see $log)"; return 1; }
	QX_DOM0_IMG=$EMU_IMAGE
	# the kernel as an ELF: no xz decompression under emulation (Xen for dom0, libxc for the domU)
	emu_vmlinux 2>>"$log" || { say "$PROG: testbed/mkimage.sh vmlinux failed (see $log)"; return 1; }
	QX_KERNEL=$EMU_VMLINUX
	logcmd setup "$top/testbed/mkimage.sh" domu
	emu_image domu >>"$log" 2>&1 || { say "$PROG: testbed/mkimage.sh domu failed (see $log)"; return 1; }
	local domu_base=$EMU_IMAGE kver
	kver=$("$top/guest-probe/scripts/kver.sh")
	logcmd setup make -C "$top/guest-probe" SAN=0 module guest-bins
	make -s -C "$top/guest-probe" SAN=0 module guest-bins >>"$log" 2>&1 ||
		{ say "$PROG: building the guest module failed (see $log)"; return 1; }
	logcmd setup make -C "$top/testbed" guest-bins
	make -s -C "$top/testbed" guest-bins >>"$log" 2>&1 ||
		{ say "$PROG: building nt-agent failed (see $log)"; return 1; }
	logcmd setup make -C "$top/hv-probe" collector-dom0
	make -s -C "$top/hv-probe" collector-dom0 >>"$log" 2>&1 ||
		{ say "$PROG: building the static collector failed (see $log)"; return 1; }
	QX_TOOLS=$(mktemp -d "${TMPDIR:-/tmp}/nt-qemu-xen-tools.XXXXXX") || return 1
	local ov=$QX_TOOLS/overlay
	mkdir -p "$ov/lib/nt" "$ov/usr/bin" "$ov/etc/nt/steps" "$QX_TOOLS/steps" "$QX_TOOLS/bin"
	cp "$top/build/rel/modules/$kver/nt_guest_probe.ko" "$ov/lib/nt/" || return 1
	cp "$top/build/guest/bin/nt-guest-read" "$top/build/guest/bin/nt-busyloop" "$top/build/guest/bin/nt-agent" \
		"$ov/usr/bin/" || return 1
	cp "$top/build/guest/bin/nt-agent" "$QX_TOOLS/bin/" || return 1
	cp "$top"/testbed/steps/*.sh "$ov/etc/nt/steps/"
	cp "$top"/testbed/steps/*.sh "$QX_TOOLS/steps/"
	cp "$top/build/dom0/nt-hvcollect" "$top/build/dom0/nt-virq-handler" "$QX_TOOLS/bin/"
	ln "$QX_KERNEL" "$QX_TOOLS/vmlinux" 2>/dev/null || cp "$QX_KERNEL" "$QX_TOOLS/vmlinux"
	emu_overlay "$domu_base" "$ov" "$QX_TOOLS/domu.cpio.gz" || return 1
	rm -rf "$ov"
	{
		echo "# qemu-xen testbed $(stamp)"
		echo "qemu=$(qemu-system-x86_64 --version | head -n1)"
		echo "machine=q35 TCG, $(scn_or qemu.smp 2) vCPUs, $(scn_or qemu.mem 2048) MiB, intel-iommu intremap=on$(
			[ -n "$(qx_icount)" ] && echo ", -icount $(qx_icount)")"
		echo "xen_image=$QX_XEN"
		echo "xen_image_sha256=$(sha256sum "$QX_XEN" | cut -c1-64)"
		[ -f "$top/build/xen/out/series" ] && echo "xen_series=$(tr '\n' ' ' <"$top/build/xen/out/series")"
		echo "guest_kernel=$kver"
		echo "guest_module_sha256=$(sha256sum "$top/build/rel/modules/$kver/nt_guest_probe.ko" | cut -c1-64)"
		echo "guest_module_vermagic=$(modinfo -F vermagic "$top/build/rel/modules/$kver/nt_guest_probe.ko")"
		echo "dom0_image=$QX_DOM0_IMG ($(cat "$QX_DOM0_IMG.key"))"
		echo "domu_image=$domu_base ($(cat "$domu_base.key")) + the module, nt-guest-read, nt-busyloop, the steps"
		echo "collector_sha256=$(sha256sum "$QX_TOOLS/bin/nt-hvcollect" | cut -c1-64)"
		echo "eval_nic=e1000e $QX_EVAL_BDF mac $QX_EVAL_MAC, guest address $QX_GUEST_IP/24, probes from $QX_SENDER_IP to port $QX_PROBE_PORT"
		echo "load_nic=e1000 0000:00:03.1 mac $QX_LOAD_MAC, owned by dom0 at $QX_LOAD_IP/24, flood from $QX_FLOOD_IP to port $QX_FLOOD_PORT"
		echo "control_link=dom0 $QX_DOM0_CTL, domU $QX_DOMU_CTL (netfront, mac $QX_DOMU_CTL_MAC), agent port $QX_AGENT_PORT"
		echo "clocks=hv and guest stamps: Xen's TSC (domU tsc_mode=native), frequency from Xen; host files (host/) are on the host's TSC, another clock: never joined with them"
	} >"$run_dir/testbed.txt"
	return 0
}

tb_teardown() {
	[ -n "$QX_TOOLS" ] && rm -rf "$QX_TOOLS"
	QX_TOOLS=""
	return 0
}

# ---------------------------------------------------------------- remote steps
# qx_q VALUE: VALUE single-quoted for sh
qx_q() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }

# qx_step WHERE STEP SECONDS [K=V...]: run testbed/steps/STEP.sh in dom0 or in
# the domU (through dom0); its output files land in the variant folder.
# Returns the step's status (124 timeout, 125 machine gone); on failure the
# step's last lines go to the user.
qx_step() {
	local where=$1 step=$2 tmo=$3 kv env="" rc
	shift 3
	for kv in "$@"; do env="$env ${kv%%=*}=$(qx_q "${kv#*=}")"; done
	logcmd "$cur_variant" "$where:$step" "$@"
	local job="export NT_OUT=/mnt/host NT_LIB=/etc/nt/lib.sh NT_AGENT=/mnt/tools/bin/nt-agent"$'\n'
	if [ "$where" = dom0 ]; then
		[ -n "$env" ] && job+="export$env"$'\n'
		job+="exec sh /mnt/tools/steps/$step.sh"
	else
		job+="export NT_DOMU_IP=${QX_DOMU_CTL%/*} NT_AGENT_PORT=$QX_AGENT_PORT"$'\n'
		job+="exec sh /mnt/tools/steps/domu.sh step $step$env"
	fi
	emu_job_start "$where-$step" - <<<"$job"
	emu_job_wait "$tmo"
	rc=$?
	if [ $rc != 0 ]; then
		local why
		case $rc in 124) why="no answer within $tmo s" ;; 125) why="the machine stopped" ;; *) why="exit $rc" ;; esac
		say "$PROG: $VLABEL: $where step $step failed ($why): $(tail -n 3 "$EMU_JOB.log" 2>/dev/null | tr '\n' ' ')"
		echo "step_failed=$where:$step ($why)" >>"$QX_VDIR/meta.txt"
	fi
	return $rc
}

# qx_kv FILE KEY: a value of a key=value file of the variant folder
qx_kv() { sed -n "s/^$2=//p" "$QX_VDIR/$1" 2>/dev/null | tail -n1; }

# ---------------------------------------------------------------- host traffic
tb_stop_all() {
	bg_stop_all
	if emu_alive; then
		# interrupted: keep what the machine recorded (bounded), then stop it
		[ "$tb_interrupted" = 1 ] && [ -n "${QX_VDIR:-}" ] && qx_collect 20
		emu_poweroff 20 >/dev/null
	fi
	return 0
}

tb_variant_seconds() {
	local v=$1
	[ "${S[experiment]}" = timer ] && { tb_variant_seconds_timer "$v"; return; }
	echo $(( $(scn probe.count "$v") * $(scn probe.interval "$v") / 1000000000 + 75 ))
}

tb_variant_summary() {
	local v=$1 d=$2 s
	[ "${S[experiment]}" = timer ] && { tb_variant_summary_timer "$v" "$d"; return; }
	printf ' (%s probes sent' "$(sed -n 's/^count=//p' "$d/host/send.csv.meta" 2>/dev/null || echo 0)"
	s=$(sed -n 's/^guest_irq_tied=//p' "$d/meta.txt" | tail -n1)
	[ -n "$s" ] && printf ', %s guest interrupts with a probe' "$s"
	s=$(sed -n 's/^boot_to_ready_s=//p' "$d/meta.txt" | tail -n1)
	[ -n "$s" ] && printf ', ready %s s' "$s"
	s=$(sed -n 's/^teardown_s=//p' "$d/meta.txt" | tail -n1)
	[ -n "$s" ] && printf ', teardown %s s' "$s"
	printf ')'
}

# ---------------------------------------------------------------- a variant
# qx_config V: the variant's machine from the scenario (QX_* variables)
qx_config() {
	local v=$1
	QX_NATSUME=$(scn natsume "$v")
	QX_IRQ=$(scn eval.irq "$v")
	[ -n "$QX_IRQ" ] || case $QX_NATSUME in vector|all) QX_IRQ=msix ;; *) QX_IRQ=intx ;; esac
	QX_PIN=$(scn eval.pin "$v")
	[ -n "$QX_PIN" ] || case $QX_NATSUME in cpu|all) QX_PIN=1 ;; *) QX_PIN=0 ;; esac
	QX_CPU=$(scn_or eval.cpu 1 "$v")
	QX_DOM0=$(scn_or dom0.cpus 0 "$v")
	QX_BUSY=$(scn_or busy_loop 0 "$v")
	# a console ring large enough for the boot log and two IRQ dumps
	QX_XARGS="conring_size=256k"
	case $QX_NATSUME in vector|all) QX_XARGS="$QX_XARGS natsume=$QX_EVAL_BDF,cpu=$QX_CPU" ;; esac
	[ "${S[experiment]}" = timer ] && QX_XARGS="$QX_XARGS $(qxt_xen_args "$v")"
	IFS=, read -r -a QX_SRCS <<<"$(qx_sources "$v")"
}
# the default sources: the probes' sender only in the network experiment
qx_sources() {
	if [ "${S[experiment]}" = timer ]; then scn_or sources hv,guest,stallmon "$1"
	else scn_or sources hv,guest,send,stallmon "$1"; fi
}
qx_has() { [[ " ${QX_SRCS[*]} " == *" $1 "* ]]; }
# qx_icount: QEMU's -icount spec of [testbed] qemu.icount (off or absent: "",
# the clocks follow the host's time; auto or a shift N: instruction-counted,
# align=off, sleep=on; docs/scenarios.md "Instruction-counted time")
qx_icount() {
	case "$(scn_or qemu.icount off)" in
	off) ;;
	*) echo "shift=$(scn qemu.icount),align=off,sleep=on" ;;
	esac
}

qx_meta_start() {
	local v=$1 d=$2 k
	{
		echo "variant=$v"
		echo "description=$(scn description "$v")"
		echo "experiment=${S[experiment]}"
		echo "testbed=qemu-xen"
		if [ -n "$(qx_icount)" ]; then
			echo "emulated=QEMU TCG, instruction-counted (icount): every time is emulated; the machine's clocks" \
				"advance with executed instructions (-icount $(qx_icount)), not with the host's time"
		else
			echo "emulated=QEMU TCG: every time is emulated (10-50x inflated, noisy); the pipeline is real"
		fi
		for k in $(printf '%s\n' "${!S[@]}" | grep -E '^(latency|period)\.[0-9]+$' | sort); do
			# Xen's virtual timer has no hypervisor stamp to measure a latency from
			[ "${S[experiment]}:$QX_NATSUME:${k%%.*}" = timer:off:latency ] && continue
			echo "$k=${S[$k]}"
		done
		[ -n "${S[hist_bin_cycles]-}" ] && echo "hist_bin_cycles=${S[hist_bin_cycles]}"
		if [ "${S[experiment]}" = timer ]; then
			qxt_meta "$v"
		else
			# hv and guest stamps of a probe's interrupt are tied through the packet (analyzer/README.md)
			echo "join=packet"
			echo "probe_count=$QX_COUNT"
			echo "probe_interval_ns=$QX_INTERVAL"
			echo "probe_size=$(scn_or probe.size 64 "$v")"
		fi
		echo "flood_rate=$(scn_or flood.rate off "$v")"
		echo "flood_size=$(scn_or flood.size 1472 "$v")"
		echo "load_nic_owner=dom0 (e1000 0000:00:03.1, pinned with dom0 to pCPU $QX_DOM0)"
		echo "natsume=$QX_NATSUME"
		echo "eval_irq_mode=$QX_IRQ"
		echo "eval_pinned=$QX_PIN"
		echo "eval_cpu=$QX_CPU"
		echo "dom0_cpus=$QX_DOM0"
		echo "busy_loop=$QX_BUSY"
		echo "xen_args=$QX_XARGS"
		echo "run_id=$QX_RUN_ID"
		echo "started=$(stamp)"
	} >"$d/meta.txt"
}

# qx_fail WHY: the variant failed; keep what the machine has, stop it
qx_fail() {
	say "$PROG: $VLABEL: $*"
	echo "failed=$*" >>"$QX_VDIR/meta.txt"
	bg_stop_all
	if emu_alive; then
		[ -f "$QX_VDIR/agent.ready" ] && qx_collect 30
		emu_poweroff 30 >/dev/null
	fi
	[ -f "$QX_VDIR/serial.log" ] && tail -n 60 "$QX_VDIR/serial.log" >"$QX_VDIR/serial-tail.txt"
	return 1
}

# qx_guest_start: the guest's stamping (module, reader, busy loop), bounded
# by the caller's $bound seconds
qx_guest_start() {
	if qx_has guest; then
		qx_step domu guest-probe-start 60 NT_IRQ_NAME="$(qx_kv guest-nic.txt irq_name)" \
			NT_IRQ="$(qx_kv guest-nic.txt irq)" NT_RUN_ID="$QX_RUN_ID" NT_PROBE_PORT="$QX_PROBE_PORT" \
			NT_BUSY="$QX_BUSY" NT_BUSY_CPU=0 NT_SECONDS="$bound" \
			NT_MOD_ARGS="$([ "${S[experiment]}" = timer ] && qxt_module_args)" ||
			{ qx_fail "the guest probe did not start"; return 1; }
	elif [ "$QX_BUSY" = 1 ]; then
		qx_fail "busy_loop needs the guest source (sources = ..., guest)"; return 1
	fi
	return 0
}

# qx_collect SECONDS: the steps after a measurement, each bounded by SECONDS
# at most; every one runs even when another failed (what can be kept is kept)
qx_collect() {
	local t=$1 rc=0
	qx_step dom0 counters "$t" NT_TAG=after NT_LOAD_IF="$(qx_kv dom0-setup.txt load_if)" \
		NT_LOAD_IRQ="$(qx_kv dom0-setup.txt load_irq)" || rc=1
	if qx_has hv && [ -f "$QX_VDIR/hvcollect.log" ]; then
		qx_step dom0 hvcollect-stop "$((t * 3))" || rc=1
	fi
	# (not when the guest's stamping was already stopped: guest-read.rc)
	if [ -f "$QX_VDIR/guest-nic.txt" ] && [ ! -f "$QX_VDIR/guest-read.rc" ]; then
		qx_step domu guest-probe-stop "$((t * 3))" || rc=1
	fi
	qx_step dom0 xen-evidence "$t" NT_TAG=after || rc=1
	qx_step dom0 domu-stop "$t" || rc=1
	return $rc
}


tb_variant() {
	local v=$1 d=$2
	cur_variant=$v QX_VDIR=$d
	qx_config "$v"
	if [ "${S[experiment]}" = timer ]; then qxt_counts "$v"
	else QX_COUNT=$(scn probe.count "$v") QX_INTERVAL=$(scn probe.interval "$v"); fi
	QX_RUN_ID=$(( (RANDOM << 15 | RANDOM) + 1 ))
	local expect=$(( QX_COUNT * QX_INTERVAL / 1000000000 + 1 ))
	local bound=$(( expect + 900 )) pe pl
	mkdir -p "$d/host"
	qx_meta_start "$v" "$d"
	read -r pe pl < <(emu_ports 2) || { qx_fail "no free loopback UDP ports"; return 1; }
	# not t0: the runner's own t0 (its signal handler reads it while this runs)
	local t_boot t_ready t_meas t_end
	t_boot=$(xen_now)

	# ---- the machine
	local icount qargs
	icount=$(qx_icount)
	qargs=(--xen "$QX_XEN" --xen-args "$QX_XARGS" --iommu --kernel "$QX_KERNEL" --initrd "$QX_DOM0_IMG"
		--tools "$QX_TOOLS" --mem "$(scn_or qemu.mem 2048)" --smp "$(scn_or qemu.smp 2)" --timeout "$bound"
		${icount:+--icount "$icount"}
		--nic "model=e1000e,port=$pe,addr=0x3.0,mac=$QX_EVAL_MAC,multifunction"
		--nic "model=e1000,port=$pl,addr=0x3.1,mac=$QX_LOAD_MAC")
	qx_fault boot qargs
	logcmd "$v" "$top/testbed/qemu.sh" --share "$d" --log "$d/serial.log" "${qargs[@]}"
	emu_boot "$d" "${qargs[@]}"
	progress "$VLABEL: booting Xen and dom0 under QEMU TCG" $(( $(tb_variant_seconds "$v") + REST_AFTER ))
	emu_wait "$d/agent.ready" 300
	case $? in
	1) qx_fail "dom0 did not come up within 300 s (serial-tail.txt)"; return 1 ;;
	2) qx_fail "QEMU ended before dom0 came up (exit ${EMU_QRC:-?}, serial-tail.txt)"; emu_reap; return 1 ;;
	esac
	qx_step dom0 dom0-info 60 || { qx_fail "dom0-info failed"; return 1; }
	qx_step dom0 dom0-setup 60 NT_LOAD_MAC="$QX_LOAD_MAC" NT_LOAD_IP="$QX_LOAD_IP/24" \
		NT_EVAL_BDF="$(qx_fault_eval_bdf)" || { qx_fail "dom0-setup failed"; return 1; }
	progress "$VLABEL: starting the evaluation guest" $(( $(tb_variant_seconds "$v") + REST_AFTER - 20 ))
	qx_step dom0 domu-start 240 NT_DOMU_KERNEL=/mnt/tools/vmlinux NT_DOMU_IMAGE="$(qx_fault_domu_image)" \
		NT_DOMU_CPUS="$([ "$QX_PIN" = 1 ] && echo "$QX_CPU")" NT_DOMU_PCI="$QX_EVAL_BDF" \
		NT_DOMU_CTL_MAC="$QX_DOMU_CTL_MAC" NT_DOMU_CTL_IP="$QX_DOMU_CTL" NT_DOM0_CTL_IP="$QX_DOM0_CTL" \
		NT_AGENT_PORT="$QX_AGENT_PORT" NT_DOMU_TIMEOUT=180 ||
		{ qx_fail "the evaluation guest did not start (domu-console.txt)"; return 1; }
	qx_step domu guest-nic 180 NT_NIC_MAC="$QX_EVAL_MAC" NT_NIC_IP="$QX_GUEST_IP/24" NT_IRQ_MODE="$QX_IRQ" ||
		{ qx_fail "the evaluation NIC did not come up in the guest"; return 1; }
	# dom0 keeps every pCPU while the guest boots (its PCI frontend waits on
	# dom0's backend), and goes to its own before the measurement
	qx_step dom0 dom0-pin 60 NT_DOM0_CPUS="$QX_DOM0" || { qx_fail "dom0-pin failed"; return 1; }
	[ "${S[experiment]}" = timer ] && { qxt_after_domu || { qx_fail "virq-handler failed"; return 1; }; }

	# ---- probes on (the timer experiment's guest stamps only under the flood: qxt_traffic)
	if [ "${S[experiment]}" != timer ]; then qx_guest_start || return 1; fi
	qx_step dom0 xen-evidence 60 NT_TAG=before || { qx_fail "xen-evidence failed"; return 1; }
	if qx_has hv; then
		# the timer experiment: the collector decodes after the measurement,
		# not during it (its decoding on pCPU 0 cost the real-time pCPU ticks:
		# docs/scenarios.md "What the held-back interrupts depend on")
		local hv_after=0
		[ "${S[experiment]}" = timer ] && hv_after=1
		qx_step dom0 hvcollect-start 60 NT_COLLECTOR=/mnt/tools/bin/nt-hvcollect NT_TBUF_PAGES=256 \
			NT_HV_RAW="${NT_QX_HV_RAW:-0}" NT_HV_DECODE_AFTER="$hv_after" ||
			{ qx_fail "the hypervisor collector did not start (hvcollect.log)"; return 1; }
	fi
	qx_step dom0 counters 30 NT_TAG=before NT_LOAD_IF="$(qx_kv dom0-setup.txt load_if)" \
		NT_LOAD_IRQ="$(qx_kv dom0-setup.txt load_irq)" || { qx_fail "counters failed"; return 1; }
	t_ready=$(xen_now)

	# ---- traffic from the host
	qx_traffic "$v" "$d" "$pe" "$pl" "$expect" "$bound" || return 1
	t_meas=$(xen_now)

	# ---- collect, stop
	progress "$VLABEL: collecting the records" $(( 30 + REST_AFTER ))
	local crc=0
	qx_collect 60 || crc=1
	bg_stop stallmon 5
	emu_poweroff 60 >/dev/null || echo "poweroff=QEMU did not stop by itself (killed)" >>"$d/meta.txt"
	t_end=$(xen_now)
	{
		echo "boot_to_ready_s=$(xen_dt "$t_boot" "$t_ready")"
		echo "measure_s=$(xen_dt "$t_ready" "$t_meas")"
		echo "teardown_s=$(xen_dt "$t_meas" "$t_end")"
		echo "total_s=$(xen_dt "$t_boot" "$t_end")"
		echo "qemu_exit=${EMU_QRC:-}"
		echo "finished=$(stamp)"
	} >>"$d/meta.txt"
	qxt_redecode "$d" >>"$d/meta.txt" # both experiments: dom0's CSV can be damaged
	xen_evidence "$d" host "the emulated TSC of hv and guest stamps" \
		"nt-stallmon on the host, host TSC: not aligned with the emulated TSC, so samples are not marked; under TCG a host stall stalls the guests too"
	[ "${S[experiment]}" = timer ] && qxt_evidence "$d" >>"$d/meta.txt"
	[ $crc = 0 ] || { say "$PROG: $VLABEL: some records could not be collected (see meta.txt step_failed)"; return 1; }
	[ "${S[experiment]}" = timer ] && { qxt_check_data "$d"; return; }
	xen_check_data "$d" host "$QX_COUNT" "$(qx_has hv && echo 1)" "$(qx_has guest && echo 1)"
}

# The host programs' arguments of variant V writing into DIR (the flood and
# the probes into the two NICs' socket netdevs, ports PE and PL), bounded by
# BOUND seconds; scn_flood_args is the one mapping of the flood's keys (its
# back end is always qemu here).
qx_args() {
	local v=$1 d=$2 pe=$3 pl=$4 bound=$5 i
	SM_ARGS=() FLOOD_ARGS=()
	if qx_has stallmon && [ "$(scn_or stallmon 1 "$v")" = 1 ]; then
		SM_ARGS=(--out "$d/host/stall.csv" --mode "$(scn_or stallmon.mode tick "$v")"
			--threshold "$(ns_to_arg "$(scn_or stallmon.threshold 200000 "$v")")" --duration "${bound}s")
	fi
	if [ "$(scn_or flood.rate off "$v")" != off ]; then
		FLOOD_ARGS=(--qemu "$pl" --dst "$QX_LOAD_IP:$QX_FLOOD_PORT" --dst-mac "$QX_LOAD_MAC" --src "$QX_FLOOD_IP"
			--duration "${bound}s" --run-id $(( QX_RUN_ID ^ 1 )) --meta "$d/host/flood.meta" --quiet)
		mapfile -t -O ${#FLOOD_ARGS[@]} FLOOD_ARGS < <(scn_flood_args "$v")
		for i in "${!FLOOD_ARGS[@]}"; do
			[ "${FLOOD_ARGS[i]}" = --backend ] && FLOOD_ARGS[i + 1]=qemu
		done
	fi
	SEND_ARGS=()
	[ "${S[experiment]}" = timer ] && return 0
	SEND_ARGS=(--qemu "$pe" --dst "$QX_GUEST_IP:$QX_PROBE_PORT" --dst-mac "$QX_EVAL_MAC" --src "$QX_SENDER_IP"
		--count "$(scn probe.count "$v")" --interval "$(ns_to_arg "$(scn probe.interval "$v")")"
		--run-id "$QX_RUN_ID" --size "$(scn_or probe.size 64 "$v")" --out "$d/host/send.csv")
}

# Every host program checks its own arguments (--check) before anything
# starts; exit 2 when one refuses.
qx_check_args() {
	local v p out bad=0 QX_RUN_ID=1
	for v in "${variants[@]}"; do
		qx_args "$v" "RUN/$v" 1 2 600
		for p in stallmon:SM_ARGS flood:FLOOD_ARGS send:SEND_ARGS; do
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

# qx_traffic V DIR EVAL_PORT LOAD_PORT EXPECT_S BOUND_S: the host's part: the
# stall monitor, the flood into the load NIC, the probes into the evaluation
# NIC; waits for the sender, then stops the flood.
qx_traffic() {
	local v=$1 d=$2 pe=$3 pl=$4 expect=$5 bound=$6
	[ "${S[experiment]}" = timer ] && { qxt_traffic "$v" "$d" "$pe" "$pl"; return; }
	qx_args "$v" "$d" "$pe" "$pl" "$bound"
	[ ${#SM_ARGS[@]} -gt 0 ] && bg_start stallmon "$d/host/stallmon.log" "$bindir/nt-stallmon" "${SM_ARGS[@]}"
	if [ ${#FLOOD_ARGS[@]} -gt 0 ]; then
		bg_start flood "$d/host/flood.log" "$bindir/nt-flood" "${FLOOD_ARGS[@]}"
		sleep 1 # the flood reaches its rate before the first probe
		kill -0 "${BG_PID[flood]}" 2>/dev/null ||
			{ qx_fail "the flood generator stopped at once (host/flood.log)"; return 1; }
	fi
	bg_start send "$d/host/send.log" "$bindir/nt-send" "${SEND_ARGS[@]}"
	local ts el
	ts=$(date +%s)
	while kill -0 "${BG_PID[send]:-}" 2>/dev/null && emu_alive; do
		el=$(( $(date +%s) - ts ))
		progress "$VLABEL: sending $QX_COUNT probes every $(ns_to_arg "$QX_INTERVAL") under the flood, ${el}s elapsed" \
			$(( expect - el + 40 + REST_AFTER ))
		qx_fault_during "$el"
		sleep 1
	done
	[ $tty = 1 ] && printf '\r\033[K' >&2
	local rc_send=0 rc_flood=0
	bg_stop send 5 || rc_send=$?
	sleep 2 # the last probe's interrupt reaches the guest
	bg_stop flood 5 || rc_flood=$?
	printf 'exit_send=%s\nexit_flood=%s\n' "$rc_send" "$rc_flood" >>"$d/meta.txt"
	emu_alive || { qx_fail "the machine stopped during the measurement (serial-tail.txt)"; return 1; }
	[ $rc_send = 0 ] || { qx_fail "nt-send exited $rc_send (host/send.log)"; return 1; }
	# stopped by our SIGTERM is the flood's normal end
	case $rc_flood in 0|130|143) ;; *) qx_fail "nt-flood exited $rc_flood (host/flood.log)"; return 1 ;; esac
	return 0
}

# ---------------------------------------------------------------- faults (tests)
# NT_QX_HV_RAW=1 also keeps Xen's trace as xentrace wrote it (hv.xt in the
# variant's folder), for an independent decoder (hv-probe/tests/trace-check.c).
# NT_QX_FAULT="VARIANT:KIND ...", for the tests of the failure paths only:
#   no-eval-nic     boot the machine without the evaluation NIC (a missing device)
#   bad-domu-image  give the domU an image it cannot boot (a guest that does not boot)
#   kill-collector  kill nt-hvcollect in dom0 two seconds into the traffic
#   bad-pit-option  (timer) boot Xen with natsume-pit=1000,cpu=7 (a pCPU that is
#                   not online): Xen must warn, boot and keep the PIT
qx_fault_kind() {
	local f
	for f in ${NT_QX_FAULT:-}; do
		[ "${f%%:*}" = "$cur_variant" ] && { echo "${f#*:}"; return; }
	done
}
qx_fault() { # boot ARGS_ARRAY_NAME
	local -n qa=$2
	[ "$(qx_fault_kind)" = no-eval-nic ] || return 0
	local i out=()
	for ((i = 0; i < ${#qa[@]}; i++)); do
		if [ "${qa[$i]}" = --nic ] && [[ "${qa[$((i + 1))]}" == model=e1000e* ]]; then i=$((i + 1)); continue; fi
		out+=("${qa[$i]}")
	done
	qa=("${out[@]}")
	echo "fault=no-eval-nic (test)" >>"$QX_VDIR/meta.txt"
}
qx_fault_eval_bdf() { echo "$QX_EVAL_BDF"; }
qx_fault_domu_image() {
	if [ "$(qx_fault_kind)" = bad-domu-image ]; then
		echo "fault=bad-domu-image (test)" >>"$QX_VDIR/meta.txt"
		echo /mnt/tools/steps/domu-stop.sh # a file, but no initramfs: the guest kernel panics
	else
		echo /mnt/tools/domu.cpio.gz
	fi
}
qx_fault_during() { # ELAPSED_S: in the first second of the traffic
	[ "$(qx_fault_kind)" = kill-collector ] && [ -z "${QX_FAULTED:-}" ] || return 0
	QX_FAULTED=1
	echo "fault=kill-collector (test)" >>"$QX_VDIR/meta.txt"
	emu_job fault 30 - <<<'kill -KILL "$(cat /run/nt-hvcollect.pid)"'
}
