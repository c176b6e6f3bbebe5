# SPDX-License-Identifier: GPL-2.0
# The hosts testbed (sourced by scenarios/run): real machines over ssh (a Xen
# host running the patched hypervisor, the evaluation guest on it, the
# machines that send the probes and the flood), named in the scenario's
# inventory (docs/hosts.md) and driven with the same scenario files.
#
# Per variant: the boot entry (hosts-boot.sh: reboot only when the running
# Xen is not the variant's and the inventory allows it), then the remote
# steps of testbed/steps/ that the qemu-xen driver runs through its 9p job
# channel, here over ssh (remote.sh: batch mode, time limits, every command
# in commands.log, only the inventory's hosts): dom0's steps in dom0, the
# guest's in the evaluation guest; the traffic over real NICs
# (hosts-traffic.sh); every remote file fetched with its sha256 into the
# variant folder; then the analysis here.  A variant that fails keeps what
# could be fetched and the run goes on.

. "$here/testbeds/xen-common.sh"
. "$here/lib/hosts-lib.sh"
. "$here/lib/remote.sh"
. "$here/lib/hosts-boot.sh"
. "$here/lib/hosts-traffic.sh"

HS_STAGE=""
tb_interrupted=0

# hosts_setup_transport: the allowed hosts and the ssh options of the inventory.
hosts_setup_transport() {
	RMT_HOSTS=()
	rmt_allow "$(scn hosts.xen)" "$(scn hosts.guest)" "$(scn hosts.send)" "$(scn hosts.flood)"
	read -r -a RMT_SSH_OPTS <<<"$(scn hosts.ssh.options)"
	RMT_CONNECT_TIMEOUT=$(( $(scn_or hosts.ssh.timeout 10000000000) / 1000000000 ))
}

# ---------------------------------------------------------------- checks
tb_check() {
	local out="" miss=0 h k checked="" v srcs
	if [ -z "$(scn inventory)" ]; then
		out="  - an inventory of the machines: 'inventory = FILE' in [testbed] (docs/hosts.md;"
		out+=$'\n'"    scenarios/hosts/example.hosts is a template)"
		miss=1
	elif [ "${S[experiment]}" != net ]; then
		out="  - the hosts driver runs the network experiment (experiment = net), not '${S[experiment]}'"
		miss=1
	else
		out=$(xen_missing) || miss=1
		for v in "${variants[@]}"; do
			IFS=, read -r -a srcs <<<"$(scn_or sources hv,guest,send,stallmon "$v")"
			for k in "${srcs[@]}"; do
				case "$k" in hv|guest|send|stallmon) ;;
				*) out+=$'\n'"  - variant '$v': the hosts testbed has no '$k' probe (hv, guest, send, stallmon)"; miss=1 ;;
				esac
			done
		done
		for k in guest.mac xen.load_addr; do
			[ -n "$(scn "hosts.$k")" ] ||
				{ out+=$'\n'"  - '$k' in the inventory (docs/hosts.md)"; miss=1; }
		done
		[ -n "$(scn hosts.xen.load_iface)$(scn hosts.xen.load_nic)" ] ||
			{ out+=$'\n'"  - 'xen.load_nic' or 'xen.load_iface' in the inventory (docs/hosts.md)"; miss=1; }
		hosts_setup_transport
		command -v ssh >/dev/null || { out+=$'\n'"  - ssh (Debian package openssh-client)"; miss=1; }
		# The guest is started by the run; the Xen host and the senders must answer now.
		for k in hosts.xen hosts.send hosts.flood; do
			h=$(scn "$k")
			[ "$h" = local ] && continue
			case " $checked " in *" $h "*) continue ;; esac
			checked+=" $h"
			if ! rmt_run check "$h" $((RMT_CONNECT_TIMEOUT + 10)) true >/dev/null 2>&1; then
				out+=$'\n'"  - ${k#hosts.} = $h does not answer over ssh (batch mode, ${RMT_CONNECT_TIMEOUT} s;"
				out+=$'\n'"    an ssh key for it, and its host key known: see docs/hosts.md)"
				miss=1
			fi
		done
	fi
	[ $miss = 0 ] && return 0
	{
		echo "$PROG: testbed 'hosts' is not available, so '$name' cannot run. Missing:"
		printf '%s\n' "$out" | sed '/^$/d'
		echo "$PROG: nothing was started and no run folder was written."
	} >&2
	return 1
}

# ---------------------------------------------------------------- set-up
# hs_dir: the runner's folder on the Xen host and in the guest
hs_dir() { scn_or hosts.xen.dir /var/tmp/natsume-harness; }

# The static collector and the guest's programs (built here), the steps and
# their helpers, staged for the hosts; the Xen host's copy is deployed now
# (only what changed travels), the guest's once the guest runs.
tb_setup() {
	local log=$run_dir/testbed-setup.log p
	: >"$log"
	hosts_setup_transport
	for p in "make -C $top/hv-probe collector-dom0" "make -C $top/guest-probe SAN=0 guest-bins"; do
		logcmd setup $p
		$p >>"$log" 2>&1 || { say "$PROG: '$p' failed (see $log)"; return 1; }
	done
	HS_STAGE=$(mktemp -d "${TMPDIR:-/tmp}/nt-hosts-stage.XXXXXX") || return 1
	mkdir -p "$HS_STAGE/xen/steps" "$HS_STAGE/xen/bin" "$HS_STAGE/guest/steps" "$HS_STAGE/guest/bin"
	for p in xen guest; do
		cp "$top"/testbed/steps/*.sh "$HS_STAGE/$p/steps/" && cp "$top/testbed/guest-lib.sh" "$HS_STAGE/$p/lib.sh" ||
			{ say "$PROG: cannot stage the remote steps"; return 1; }
	done
	cp "$top/build/dom0/nt-hvcollect" "$HS_STAGE/xen/bin/" &&
		cp "$top/build/guest/bin/nt-guest-read" "$top/build/guest/bin/nt-busyloop" "$HS_STAGE/guest/bin/" ||
		{ say "$PROG: cannot stage the collectors (see $log)"; return 1; }
	say "$PROG: hosts: copying the steps and the collector to $(scn hosts.xen):$(hs_dir)/tools"
	rmt_deploy setup "$(scn hosts.xen)" 300 "$(hs_dir)/tools" "$HS_STAGE/xen" >>"$log" 2>&1 ||
		{ say "$PROG: cannot copy the tools to $(scn hosts.xen): $RMT_WHY"; return 1; }
	hosts_senders_deploy >>"$log" 2>&1 || { say "$PROG: $HT_WHY"; return 1; }
	{
		echo "# hosts testbed $(stamp)"
		echo "inventory=$(basename "${S[inventory_file]}") (copied as inventory.hosts)"
		echo "xen_host=$(scn hosts.xen) (reboot allowed: $([ "$(scn hosts.xen.reboot)" = 1 ] && echo yes || echo no))"
		echo "xen_image_build_id=$(hosts_want_build_id)"
		echo "guest=$(scn hosts.guest) ($(scn_or hosts.guest.name nt-eval), template $(scn hosts.guest.config))"
		echo "eval_nic=$(scn hosts.xen.eval_nic) (passed through; probes to $(scn hosts.guest.addr):$HOSTS_PROBE_PORT)"
		echo "load_nic=$(scn hosts.xen.load_nic) $(scn hosts.xen.load_iface) $(scn hosts.xen.load_addr) (dom0; the flood to port $HOSTS_FLOOD_PORT)"
		echo "send=$(scn hosts.send) $(scn hosts.send.iface); flood=$(scn hosts.flood) $(scn hosts.flood.iface)"
		echo "collector_sha256=$(sha256sum "$HS_STAGE/xen/bin/nt-hvcollect" | cut -c1-64)"
		echo "clocks=hv and guest stamps: Xen's TSC (the guest runs with tsc_mode=native), frequency from Xen; the senders' files (sender/) are on their machine's clock: never joined with them"
	} >"$run_dir/testbed.txt"
	return 0
}

tb_teardown() {
	[ -n "$HS_STAGE" ] && rm -rf "$HS_STAGE"
	HS_STAGE=""
	return 0
}

# ---------------------------------------------------------------- remote steps
# hs_step dom0|guest STEP SECONDS [K=V...]: testbed/steps/STEP.sh on the Xen
# host or in the guest, its files in that host's out folder of the variant
# (fetched at the end); its output in the variant's remote-steps.log.  On
# failure the step's last lines go to the user and into meta.txt.
hs_step() {
	local where=$1 step=$2 tmo=$3 target rc
	shift 3
	target=$HS_XEN
	[ "$where" = guest ] && target=$HS_GUEST
	printf '== %s %s: %s\n' "$(stamp)" "$where" "$step" >>"$HS_VDIR/remote-steps.log"
	rmt_step "$cur_variant:$where" "$target" "$tmo" "$(hs_dir)/tools" "$HS_OUT" "$step" \
		PATH="$(hs_dir)/tools/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" "$@" \
		>>"$HS_VDIR/remote-steps.log" 2>&1
	rc=$?
	if [ $rc != 0 ]; then
		local why
		case $rc in 124) why="no answer within $tmo s" ;; 255) why="ssh: connection failed or lost" ;; *) why="exit $rc" ;; esac
		say "$PROG: $VLABEL: $where step $step failed ($why): $(tail -n 2 "$HS_VDIR/remote-steps.log" | tr '\n' ' ')"
		echo "step_failed=$where:$step ($why)" >>"$HS_VDIR/meta.txt"
	fi
	return $rc
}

# hs_get dom0|guest FILE: one file a step wrote, copied now (the driver reads
# it before the end; the fetch at the end checks it with the others)
hs_get() {
	local target=$HS_XEN
	[ "$1" = guest ] && target=$HS_GUEST
	rmt_again rmt_run "$cur_variant:$1" "$target" 60 "cat $(printf '%q' "$HS_OUT/$2")" >"$HS_VDIR/$2"
}

# hs_fetch dom0|guest: every file of that host's out folder into the variant
# folder, each checked against its remote sha256 (SHA256SUMS.dom0, .guest)
hs_fetch() {
	local target=$HS_XEN
	[ "$1" = guest ] && target=$HS_GUEST
	rmt_again rmt_fetch "$cur_variant:$1" "$target" 300 "$HS_OUT" "$HS_VDIR" "$1" && return 0
	say "$PROG: $VLABEL: fetching the $1 files: $RMT_WHY"
	echo "fetch_failed=$1: $RMT_WHY" >>"$HS_VDIR/meta.txt"
	return 1
}

# ---------------------------------------------------------------- a variant
tb_variant_seconds() {
	local v=$1
	echo $(( $(scn probe.count "$v") * $(scn probe.interval "$v") / 1000000000 + 90 ))
}

tb_variant_summary() {
	local d=$2 s
	printf ' (%s probes sent' "$(xen_kv "$d" sender/send.csv.meta count || true)"
	s=$(xen_kv "$d" meta.txt guest_irq_tied)
	[ -n "$s" ] && printf ', %s guest interrupts with a probe' "$s"
	s=$(xen_kv "$d" meta.txt boot)
	[ -n "$s" ] && printf ', boot %s' "$s"
	printf ')'
}

# hs_config V: the variant's settings from the scenario and the inventory
hs_config() {
	local v=$1
	HS_XEN=$(scn hosts.xen) HS_GUEST=$(scn hosts.guest)
	HS_NATSUME=$(scn natsume "$v")
	HS_IRQ=$(scn eval.irq "$v")
	[ -n "$HS_IRQ" ] || case $HS_NATSUME in vector|all) HS_IRQ=msix ;; *) HS_IRQ=intx ;; esac
	HS_PIN=$(scn eval.pin "$v")
	[ -n "$HS_PIN" ] || case $HS_NATSUME in cpu|all) HS_PIN=1 ;; *) HS_PIN=0 ;; esac
	HS_CPU=$(scn hosts.xen.eval_cpu)
	HS_DOM0=$(scn dom0.cpus "$v")
	HS_BUSY=$(scn_or busy_loop 0 "$v")
	HS_COUNT=$(scn probe.count "$v") HS_INTERVAL=$(scn probe.interval "$v")
	IFS=, read -r -a HS_SRCS <<<"$(scn_or sources hv,guest,send,stallmon "$v")"
	HS_HV_ON=0 HS_GUEST_ON=0 HS_DOMU_UP=0 HS_GUEST_SSH=0
}
hs_has() { [[ " ${HS_SRCS[*]} " == *" $1 "* ]]; }

hs_meta_start() {
	local v=$1 d=$2 k
	{
		echo "variant=$v"
		echo "description=$(scn description "$v")"
		echo "experiment=net"
		echo "testbed=hosts"
		for k in $(printf '%s\n' "${!S[@]}" | grep -E '^latency\.[0-9]+$' | sort); do
			echo "$k=${S[$k]}"
		done
		echo "join=packet"
		[ -n "${S[hist_bin_cycles]-}" ] && echo "hist_bin_cycles=${S[hist_bin_cycles]}"
		echo "probe_count=$HS_COUNT"
		echo "probe_interval_ns=$HS_INTERVAL"
		echo "probe_size=$(scn_or probe.size 64 "$v")"
		echo "flood_rate=$(scn_or flood.rate off "$v")"
		echo "flood_size=$(scn_or flood.size 1472 "$v")"
		echo "load_nic_owner=dom0 ($(scn hosts.xen.load_nic) $(scn hosts.xen.load_iface))"
		echo "natsume=$HS_NATSUME"
		echo "eval_irq_mode=$HS_IRQ"
		echo "eval_pinned=$HS_PIN"
		echo "eval_cpu=$HS_CPU"
		echo "dom0_cpus=${HS_DOM0:-as booted}"
		echo "busy_loop=$HS_BUSY"
		echo "xen_args=$(hosts_xen_args "$v")"
		echo "run_id=$HS_RUN_ID"
		echo "remote_out=$HS_XEN:$HS_OUT $HS_GUEST:$HS_OUT"
		echo "started=$(stamp)"
	} >"$d/meta.txt"
}

# hs_machine: what the Xen host is (machine.txt); a QEMU machine is labelled
# emulated: its times are not hardware's
hs_machine() {
	local d=$1
	rmt_again rmt_run "$cur_variant:dom0" "$HS_XEN" 30 'for f in sys_vendor product_name; do
		echo "$f=$(cat /sys/class/dmi/id/$f 2>/dev/null)"; done
		echo "cpu_model=$(sed -n "s/^model name[^:]*: //p" /proc/cpuinfo | head -n1)"' >"$d/machine.txt" 2>/dev/null
	if grep -qi qemu "$d/machine.txt"; then
		local what=QEMU
		grep -q 'TCG' "$d/machine.txt" && what="QEMU TCG"
		echo "emulated=$what: the Xen host of this run is a QEMU machine ($(tr '\n' ' ' <"$d/machine.txt")): its times are emulated, not a hardware measurement" >>"$d/meta.txt"
	fi
}

# hs_fail WHY: the variant failed: stop what runs, keep what can be fetched
hs_fail() {
	say "$PROG: $VLABEL: $*"
	echo "failed=$*" >>"$HS_VDIR/meta.txt"
	hs_stop_local
	hs_collect 30
	return 1
}

# hs_collect SECONDS: the steps after a measurement and the fetches, each
# bounded; every one runs even when another failed (what can be kept is kept)
hs_collect() {
	local t=$1 rc=0 lif
	lif=$(xen_kv "$HS_VDIR" dom0-setup.txt load_if)
	if [ -n "$lif" ]; then
		hs_step dom0 counters "$t" NT_TAG=after NT_LOAD_IF="$lif" \
			NT_LOAD_IRQ="$(xen_kv "$HS_VDIR" dom0-setup.txt load_irq)" || rc=1
	fi
	if [ $HS_HV_ON = 1 ]; then hs_step dom0 hvcollect-stop "$((t * 3))" || rc=1; HS_HV_ON=0; fi
	if [ $HS_GUEST_ON = 1 ]; then hs_step guest guest-probe-stop "$((t * 3))" || rc=1; HS_GUEST_ON=0; fi
	if [ $HS_GUEST_SSH = 1 ]; then hs_fetch guest || rc=1; HS_GUEST_SSH=0; fi
	hs_step dom0 xen-evidence "$t" NT_TAG=after || rc=1
	hs_step dom0 domu-stop "$t" NT_DOMU_NAME="$(scn_or hosts.guest.name nt-eval)" NT_DOMU_DESTROY=1 || rc=1
	HS_DOMU_UP=0
	hs_fetch dom0 || rc=1
	return $rc
}

# The local programs of a variant: the stall monitor (the senders' own are
# hosts-traffic.sh's)
declare -A HS_LOCAL=()
hs_stop_local() {
	hosts_traffic_stop "$cur_variant" "$HS_VDIR" >/dev/null 2>&1
	local p=${HS_LOCAL[stallmon]-}
	if [ -n "$p" ]; then
		kill -TERM "$p" 2>/dev/null
		wait "$p" 2>/dev/null
		unset "HS_LOCAL[stallmon]"
	fi
	return 0
}

tb_stop_all() {
	if [ "$tb_interrupted" = 1 ] && [ -n "${HS_VDIR:-}" ] && [ -n "$cur_variant" ]; then
		hs_stop_local
		hs_collect 20
	fi
	return 0
}

# hs_guest_up SECONDS: wait until the guest answers over ssh
hs_guest_up() {
	local end=$(( $(date +%s) + $1 ))
	while [ "$(date +%s)" -lt $end ]; do
		rmt_run "$cur_variant:guest" "$HS_GUEST" 30 true >/dev/null 2>&1 && return 0
		sleep 2
	done
	return 1
}

# hs_guest_tools: the guest module for the guest's running kernel (checked by
# vermagic) with the guest's programs and the steps, into the guest
hs_guest_tools() {
	local kver ko
	kver=$(rmt_again rmt_run "$cur_variant:guest" "$HS_GUEST" 30 'uname -r') || { HOSTS_WHY="uname -r in the guest failed"; return 1; }
	echo "guest_kernel=$kver" >>"$HS_VDIR/meta.txt"
	hosts_guest_module "$kver" >"$HS_STAGE/ko" || return 1
	ko=$(cat "$HS_STAGE/ko")
	echo "guest_module=$ko vermagic $(modinfo -F vermagic "$ko")" >>"$HS_VDIR/meta.txt"
	cp "$ko" "$HS_STAGE/guest/nt_guest_probe.ko" || return 1
	rmt_deploy "$cur_variant:guest" "$HS_GUEST" 300 "$(hs_dir)/tools" "$HS_STAGE/guest" >>"$HS_VDIR/remote-steps.log" 2>&1 ||
		{ HOSTS_WHY="cannot copy the guest's tools: $RMT_WHY"; return 1; }
}

tb_variant() {
	local v=$1 d=$2
	cur_variant=$v HS_VDIR=$d
	hs_config "$v"
	HS_RUN_ID=$(( (RANDOM << 15 | RANDOM) + 1 ))
	HS_OUT=$(hs_dir)/out/$(basename "$run_dir")-$v
	local expect=$(( HS_COUNT * HS_INTERVAL / 1000000000 + 1 )) bound
	bound=$(( expect + 600 ))
	hs_meta_start "$v" "$d"
	: >"$d/remote-steps.log"
	local hs_t0 t_ready t_meas
	hs_t0=$(xen_now)

	# ---- the boot entry
	progress "$VLABEL: checking the Xen host's boot" $(( $(tb_variant_seconds "$v") + REST_AFTER ))
	if ! hosts_boot "$v" "$d"; then
		echo "failed=boot: $HOSTS_WHY" >>"$d/meta.txt"
		say "$PROG: $VLABEL: $HOSTS_WHY"
		return 1
	fi
	printf 'boot=%s\nboot_s=%s\nxen_commandline=%s\nxen_build_id=%s\n' "$HOSTS_BOOT" "$HOSTS_BOOT_S" \
		"$HOSTS_XEN_CMDLINE" "$HOSTS_XEN_BUILD_ID" >>"$d/meta.txt"
	hs_machine "$d"
	# the tools again after every boot (a host may keep xen.dir in RAM): only what changed travels
	rmt_deploy "$v:dom0" "$HS_XEN" 300 "$(hs_dir)/tools" "$HS_STAGE/xen" >>"$d/remote-steps.log" 2>&1 ||
		{ hs_fail "cannot copy the tools to $HS_XEN: $RMT_WHY"; return 1; }
	rmt_again rmt_run "$v:dom0" "$HS_XEN" 60 "rm -rf $(printf '%q' "$HS_OUT") && mkdir -p $(printf '%q' "$HS_OUT")" ||
		{ hs_fail "cannot create $HS_XEN:$HS_OUT"; return 1; }

	# ---- dom0, then the guest
	local lmac
	hs_step dom0 dom0-info 60 || { hs_fail "dom0-info failed"; return 1; }
	# the load NIC by its name, else by its PCI address
	lmac=$(rmt_again rmt_run "$v:dom0" "$HS_XEN" 30 "i=$(printf '%q' "$(scn hosts.xen.load_iface)");
		[ -n \"\$i\" ] || i=\$(ls /sys/bus/pci/devices/$(scn hosts.xen.load_nic)/net 2>/dev/null | head -n1);
		cat /sys/class/net/\$i/address") && [ -n "$lmac" ] ||
		{ hs_fail "no load NIC in dom0 ($(scn hosts.xen.load_iface) $(scn hosts.xen.load_nic): no network interface)"; return 1; }
	hs_step dom0 dom0-setup 60 NT_LOAD_MAC="$lmac" NT_LOAD_IP="$(scn hosts.xen.load_addr)/24" \
		NT_EVAL_BDF="$(scn hosts.xen.eval_nic)" || { hs_fail "dom0-setup failed"; return 1; }
	hs_get dom0 dom0-setup.txt
	progress "$VLABEL: starting the evaluation guest" $(( $(tb_variant_seconds "$v") + REST_AFTER - 20 ))
	HS_DOMU_UP=1
	hs_step dom0 domu-start 240 NT_DOMU_NAME="$(scn_or hosts.guest.name nt-eval)" \
		NT_DOMU_TEMPLATE="$(scn hosts.guest.config)" NT_DOMU_CPUS="$([ "$HS_PIN" = 1 ] && echo "$HS_CPU")" \
		NT_DOMU_PCI="$(scn hosts.xen.eval_nic)" NT_DOMU_READY=none ||
		{ hs_fail "the evaluation guest did not start (domu-console.txt, xl-create.log)"; return 1; }
	hs_get dom0 domu.txt
	hs_guest_up $(( $(scn hosts.xen.boot_timeout) / 1000000000 )) ||
		{ hs_fail "the guest $HS_GUEST did not answer over ssh"; return 1; }
	HS_GUEST_SSH=1
	rmt_again rmt_run "$v:guest" "$HS_GUEST" 60 "rm -rf $(printf '%q' "$HS_OUT") && mkdir -p $(printf '%q' "$HS_OUT")" ||
		{ hs_fail "cannot create $HS_GUEST:$HS_OUT"; return 1; }
	hs_guest_tools || { hs_fail "$HOSTS_WHY"; return 1; }
	hs_step guest guest-nic 180 NT_NIC_MAC="$(scn hosts.guest.mac)" NT_NIC_IP="$(scn hosts.guest.addr)/24" \
		NT_IRQ_MODE="$HS_IRQ" || { hs_fail "the evaluation NIC did not come up in the guest"; return 1; }
	hs_get guest guest-nic.txt
	hs_step dom0 dom0-pin 60 NT_DOM0_CPUS="$HS_DOM0" || { hs_fail "dom0-pin failed"; return 1; }

	# ---- probes on
	if hs_has guest; then
		HS_GUEST_ON=1
		hs_step guest guest-probe-start 60 NT_IRQ_NAME="$(xen_kv "$d" guest-nic.txt irq_name)" \
			NT_IRQ="$(xen_kv "$d" guest-nic.txt irq)" NT_RUN_ID="$HS_RUN_ID" NT_PROBE_PORT="$HOSTS_PROBE_PORT" \
			NT_BUSY="$HS_BUSY" NT_BUSY_CPU=0 NT_SECONDS="$bound" NT_GUEST_KO="$(hs_dir)/tools/nt_guest_probe.ko" ||
			{ hs_fail "the guest probe did not start"; return 1; }
	elif [ "$HS_BUSY" = 1 ]; then
		hs_fail "busy_loop needs the guest source (sources = ..., guest)"; return 1
	fi
	hs_step dom0 xen-evidence 60 NT_TAG=before || { hs_fail "xen-evidence failed"; return 1; }
	if hs_has hv; then
		HS_HV_ON=1
		hs_step dom0 hvcollect-start 60 NT_COLLECTOR="$(hs_dir)/tools/bin/nt-hvcollect" NT_TBUF_PAGES=256 ||
			{ hs_fail "the hypervisor collector did not start (hvcollect.log)"; return 1; }
	fi
	hs_step dom0 counters 30 NT_TAG=before NT_LOAD_IF="$(xen_kv "$d" dom0-setup.txt load_if)" \
		NT_LOAD_IRQ="$(xen_kv "$d" dom0-setup.txt load_irq)" || { hs_fail "counters failed"; return 1; }

	# ---- traffic
	t_ready=$(xen_now)
	hs_traffic "$v" "$d" "$expect" "$bound" || return 1
	t_meas=$(xen_now)

	# ---- collect, fetch
	progress "$VLABEL: collecting and fetching the records" $(( 60 + REST_AFTER ))
	local crc=0
	hs_collect 60 || crc=1
	{
		echo "boot_to_ready_s=$(xen_dt "$hs_t0" "$t_ready")"
		echo "measure_s=$(xen_dt "$t_ready" "$t_meas")"
		echo "teardown_s=$(xen_dt "$t_meas" "$(xen_now)")"
		echo "finished=$(stamp)"
	} >>"$d/meta.txt"
	xen_evidence "$d" sender "Xen's TSC of the hosts testbed's Xen host (hv and guest stamps)" \
		"nt-stallmon on the runner's machine, its own TSC: not aligned with Xen's, so samples are not marked"
	[ $crc = 0 ] || { say "$PROG: $VLABEL: some records could not be collected (meta.txt: step_failed, fetch_failed)"; return 1; }
	xen_check_data "$d" sender "$HS_COUNT" "$(hs_has hv && echo 1)" "$(hs_has guest && echo 1)"
}

# hs_traffic V DIR EXPECT_S BOUND_S: the stall monitor here, the flood and the
# probes from the inventory's machines; waits for the probes, stops the flood
hs_traffic() {
	local v=$1 d=$2 expect=$3 bound=$4 el ts
	mkdir -p "$d/sender"
	if hs_has stallmon && [ "$(scn_or stallmon 1 "$v")" = 1 ]; then
		local mode sm
		mode=$(scn_or stallmon.mode tick "$v")
		sm=("$bindir/nt-stallmon" --out "$d/sender/stall.csv" --mode "$mode"
			--threshold "$(ns_to_arg "$(scn_or stallmon.threshold 200000 "$v")")" --duration "${bound}s")
		[ "$mode" = tick ] && sm+=(--period "$(ns_to_arg "$(scn_or stallmon.period 1000000 "$v")")")
		logcmd "$v" "${sm[@]}"
		"${sm[@]}" >"$d/sender/stallmon.log" 2>&1 </dev/null &
		HS_LOCAL[stallmon]=$!
	fi
	hosts_traffic_start "$v" "$d" "$HS_RUN_ID" "$bound" || { hs_fail "$HT_WHY"; return 1; }
	ts=$(date +%s)
	while ht_alive send; do
		el=$(( $(date +%s) - ts ))
		[ $el -le $(( expect + 60 )) ] || break
		progress "$VLABEL: sending $HS_COUNT probes every $(ns_to_arg "$HS_INTERVAL") under the flood, ${el}s elapsed" \
			$(( expect - el + 60 + REST_AFTER ))
		sleep 1
	done
	[ $tty = 1 ] && printf '\r\033[K' >&2
	sleep 2 # the last probe's interrupt reaches the guest
	hosts_traffic_stop "$v" "$d"
	local frc=$?
	local p=${HS_LOCAL[stallmon]-}
	if [ -n "$p" ]; then kill -TERM "$p" 2>/dev/null; wait "$p" 2>/dev/null; unset "HS_LOCAL[stallmon]"; fi
	printf 'exit_send=%s\nexit_flood=%s\n' "$HT_RC_SEND" "$HT_RC_FLOOD" >>"$d/meta.txt"
	[ $frc = 0 ] || { hs_fail "$HT_WHY"; return 1; }
	[ "$HT_RC_SEND" = 0 ] || { hs_fail "nt-send exited $HT_RC_SEND (sender/send.log)"; return 1; }
	case $HT_RC_FLOOD in 0|130|143) ;; *) hs_fail "nt-flood exited $HT_RC_FLOOD (sender/flood.log)"; return 1 ;; esac
	return 0
}
