# SPDX-License-Identifier: GPL-2.0
# dom0's part of the passthrough-cost experiment (experiment = io), run as
# jobs of the emulated testbed's agent from the 9p share:
#   sh $NT_SHARE/io/io-dom0.sh setup            modules, dom0 pinning, the
#                                               neighbour domain
#   sh $NT_SHARE/io/io-dom0.sh config CONFIG    native | passthrough | paravirtual
#   sh $NT_SHARE/io/io-dom0.sh cell NAME CONFIG LOAD   the repetitions of one
#                                               cell, with the probes running
#   sh $NT_SHARE/io/io-dom0.sh load-cpu start|stop     stress-ng in the neighbour
# The host (scenarios/testbeds/qemu-xen-io.sh) writes $NT_SHARE/io.env with
# the layout and the sizes, and reads what the jobs leave in the share.
# The machine (docs/scenarios.md, "The passthrough-cost experiment"):
#   NIC A  e1000e $BDF_NIC: the measured NIC, cabled to the peer QEMU's NIC
#   NVMe   $BDF_DISK: the measured disk (its own raw image on the host)
#   NIC C  e1000 $BDF_NBR: dom0 bridges it (br1) to the neighbour domain's
#          netfront; flooded by the host for the I/O load
# Configurations: native (dom0 owns A and the NVMe, the workload runs in
# dom0), passthrough (both passed to the PV domU io-pt, workload there),
# paravirtual (dom0 bridges A and serves the NVMe to the PV domU io-pv with
# netback/blkback; the workload runs in io-pv behind netfront/blkfront).
# domUs are driven over a control link (a point-to-point netfront) by their
# agent (testbed/guest-lib.sh nt_serve: RUN, GET).
H=${NT_SHARE:-/mnt/host}
. /etc/nt/lib.sh
. "$H/io/io-guest.sh"
. "$H/io.env"
PATH=$H/io:$PATH
STATE=/run/nt-io-config

say() { echo "nt-io: $*"; }

# req IP [SECONDS]: one request (stdin) to the domU agent on IP, the answer
# on stdout, bounded in time (the testbed's nt-agent client).
req() {
	"$H/io/nt-agent" req "$1" "$AGENT_PORT" --timeout "${2:-900}"
}

# rpc IP CMD...: run CMD in the domU whose agent listens on IP (bounded by
# RPC_TIMEOUT seconds); prints its output, returns its exit status.  The
# agent takes one line: line ends in CMD become blanks.
rpc() {
	local ip=$1 out rc
	shift
	out=$(printf 'RUN %s\n' "$(printf '%s' "$*" | tr '\n' ' ')" | req "$ip" "${RPC_TIMEOUT:-900}")
	rc=$(printf '%s\n' "$out" | sed -n 's/^nt-rc=\([0-9]*\).*/\1/p' | tail -n 1)
	printf '%s\n' "$out" | sed '/^nt-rc=/d'
	[ -n "$rc" ] || { say "rpc $ip: no answer"; return 125; }
	return "$rc"
}

# fetch IP PATH OUT: a file of the domU (agent GET).
fetch() {
	printf 'GET %s\n' "$2" | req "$1" 120 >"$3"
}

domid() { xl domid "$1" 2>/dev/null; }

# mkdomu NAME IMAGE CTLMAC CTLIP DOM0IP VCPUS CPUS EXTRA-CONFIG-LINE...: create
# a PV domU with its control link and wait (AGENT_WAIT s) until its agent
# answers.  The control netfront is the first vif (vifD.0 in dom0).
mkdomu() {
	local rc
	# dom0 on every pCPU while the domU boots: its front ends wait on dom0's
	# back ends (pcifront gives up after 2 s, which emulation sometimes hits)
	xl vcpu-pin 0 all all
	mkdomu_ "$@"
	rc=$?
	xl vcpu-pin 0 all "$DOM0_CPUS"
	return $rc
}

mkdomu_() {
	local name=$1 image=$2 mac=$3 ip=$4 dip=$5 vcpus=$6 cpus=$7 id i
	shift 7
	{
		echo "name = \"$name\""
		echo 'type = "pv"'
		echo "kernel = \"$H/vmlinuz\""
		echo "ramdisk = \"$H/$image\""
		echo "extra = \"console=hvc0 loglevel=5 nt.agent=$AGENT_PORT nt.ip=$ip/30 nt.mac=$mac\""
		echo "memory = $DOMU_MEM"
		echo "vcpus = $vcpus"
		echo "cpus = \"$cpus\""
		echo 'tsc_mode = "native"'
		echo 'on_poweroff = "destroy"'
		echo 'on_crash = "destroy"'
		# the control link is the first vif, unless the caller lists the vifs
		case "$*" in *"vif = "*) ;; *) echo "vif = [ 'mac=$mac' ]" ;; esac
		for l in "$@"; do echo "$l"; done
	} >"/tmp/$name.cfg"
	cp "/tmp/$name.cfg" "$H/$name.cfg"
	say "creating $name: $(grep -E '^(pci|vif|disk|cpus|vcpus)' "/tmp/$name.cfg" | tr '\n' ' ')"
	if ! timeout 300 xl create "/tmp/$name.cfg" >"/tmp/$name.create" 2>&1; then
		cat "/tmp/$name.create"
		say "FAILED: xl create $name: $(grep -i 'error' "/tmp/$name.create" | grep -vi 'destr' | head -n 1 | cut -c1-200)"
		xl destroy "$name" 2>/dev/null
		return 1
	fi
	cat "/tmp/$name.create"
	id=$(domid "$name")
	ip addr add "$dip/30" dev "vif$id.0" && ip link set "vif$id.0" up ||
		{ say "FAILED: no control link vif$id.0 for $name"; return 1; }
	i=0
	while ! printf 'RUN true\n' | req "$ip" 5 2>/dev/null | grep -q '^nt-rc=0'; do
		i=$((i + 1))
		if [ $i -ge "$AGENT_WAIT" ] || ! domid "$name" >/dev/null; then
			say "FAILED: $name (d$id) did not answer on $ip:$AGENT_PORT within $i s"
			cp "/var/log/xen/console/guest-$name.log" "$H/$name-console.txt" 2>/dev/null
			return 1
		fi
		sleep 1
	done
	say "$name is d$id, its agent answered after $i s"
}

# rmdomu NAME: destroy it (it keeps nothing worth a clean shutdown); its
# console log goes to the share.
rmdomu() {
	domid "$1" >/dev/null || return 0
	cp "/var/log/xen/console/guest-$1.log" "$H/$1-console.txt" 2>/dev/null
	xl destroy "$1" || { say "FAILED: cannot destroy $1"; return 1; }
	say "$1 removed"
}

# nic_a: dom0's interface of NIC A (while dom0 owns it)
nic_a() { io_nic_of_mac "$MAC_NIC"; }

# to_dom0 BDF: give a device back to dom0's own driver after passthrough
to_dom0() {
	local d=/sys/bus/pci/devices/$1
	xl pci-assignable-list | grep -q "$1" || return 0
	xl pci-assignable-remove -r "$1" && return 0
	# a device that pciback holds but Xen never assigned (no IOMMU: the add
	# half worked): out of pciback's slots (else pciback takes it again),
	# unbound, and probed by its own driver
	echo "$1" >/sys/bus/pci/drivers/pciback/remove_slot 2>/dev/null
	[ -e "$d/driver" ] && echo "$1" >"$d/driver/unbind"
	echo "$1" >/sys/bus/pci/drivers_probe
	[ -e "$d/driver" ] && [ "$(basename "$(readlink "$d/driver")")" != pciback ] ||
		{ say "FAILED: cannot give $1 back to dom0 (its driver: $(basename "$(readlink "$d/driver" 2>/dev/null)" 2>/dev/null))"; return 1; }
	say "$1 given back to dom0 through sysfs (xl pci-assignable-remove failed)"
}

do_setup() {
	say "setup: dom0 up $(nt_uptime) s"
	# NIC A's driver (the dom0 image leaves e1000e to the job) and the NVMe's
	grep -q '^e1000e ' /proc/modules || nt_modload e1000e || { say "FAILED: e1000e driver"; return 1; }
	nt_modload nvme || { say "FAILED: nvme driver"; return 1; }
	nt_modload bridge || { say "FAILED: bridge module"; return 1; }
	xl vcpu-pin 0 all "$DOM0_CPUS"
	io_probe_load "$H/io/nt_guest_probe.ko" || { say "FAILED: guest probe module"; return 1; }
	xl info >"$H/xl-info.txt"
	nt_wait_file /dev/nvme0n1 10 || { say "FAILED: no NVMe namespace /dev/nvme0n1"; return 1; }
	echo native >$STATE
	setup_native || return 1
	if [ "${NBR:-1}" = 0 ]; then
		say "no cell has a load: no neighbour domain"
		say "setup done, up $(nt_uptime) s"
		return 0
	fi
	# The neighbour: a netfront on br1, which dom0 bridges to NIC C (the host
	# floods NIC C for the I/O load: dom0's e1000 and netback carry it, as
	# Xen carries a neighbour's I/O); stress-ng on demand.  No device is
	# passed through outside the passthrough configuration.
	grep -q '^e1000 ' /proc/modules || nt_modload e1000 || { say "FAILED: e1000 driver"; return 1; }
	c=$(io_nic_of_mac "$MAC_NBR") || { say "FAILED: dom0 has no NIC with MAC $MAC_NBR"; return 1; }
	brctl addbr br1 && brctl addif br1 "$c" && ip link set "$c" up && ip link set br1 up ||
		{ say "FAILED: bridge br1 with $c"; return 1; }
	mkdomu nbr domu-nbr.cpio.gz "$MAC_NBR_CTL" "$IP_NBR_CTL" "$IP_NBR_DOM0" "$NBR_VCPUS" "$NBR_CPUS" \
		"vif = [ 'mac=$MAC_NBR_CTL', 'mac=$MAC_NBR_PV,bridge=br1' ]" || return 1
	rpc "$IP_NBR_CTL" ". /etc/nt/lib.sh; ifc=\$(nt_iface_of_mac $MAC_NBR_PV) &&
		ip addr add $IP_NBR/24 dev \$ifc && ip link set \$ifc up && echo \"neighbour NIC \$ifc $IP_NBR\"" ||
		{ say "FAILED: the neighbour's NIC did not come up"; return 1; }
	xl list
	say "setup done, up $(nt_uptime) s"
}

# native: A with the measured address in dom0, no bridge; the NVMe in dom0.
setup_native() {
	local a i=0
	while ! a=$(nic_a) && [ $i -lt 50 ]; do sleep 0.2; i=$((i + 1)); done
	[ -n "$a" ] || { say "FAILED: dom0 has no NIC with MAC $MAC_NIC"; return 1; }
	ip link set br0 down 2>/dev/null && brctl delbr br0 2>/dev/null
	io_nic_up "$MAC_NIC" "$IP_MEAS/24" >/dev/null || return 1
	io_reach "$IP_PEER" 60 || { say "FAILED: the peer $IP_PEER does not answer from dom0 ($a)"; return 1; }
	say "native: dom0's $a is $IP_MEAS, the peer answers"
}

do_config() {
	local want=$1 cur a rc
	cur=$(cat $STATE 2>/dev/null)
	[ "$cur" = "$want" ] && { say "config $want: already set up"; return 0; }
	say "config: $cur -> $want, up $(nt_uptime) s"
	# leave the current configuration
	rmdomu io-pt && rmdomu io-pv || { echo failed >$STATE; return 1; }
	ip link set br0 down 2>/dev/null && brctl delbr br0 2>/dev/null
	to_dom0 "$BDF_NIC" && to_dom0 "$BDF_DISK" || { echo failed >$STATE; return 1; }
	echo none >$STATE
	nt_wait_file /dev/nvme0n1 20 || { say "FAILED: the NVMe did not come back to dom0"; return 1; }
	a=$(nic_a) || { say "FAILED: NIC A did not come back to dom0"; return 1; }
	ip addr flush dev "$a"
	case "$want" in
	native) setup_native || return 1 ;;
	passthrough)
		ip link set "$a" down
		if ! { xl pci-assignable-add "$BDF_NIC" && xl pci-assignable-add "$BDF_DISK"; }; then
			say "FAILED: $BDF_NIC / $BDF_DISK are not assignable (passthrough needs the IOMMU)"
			to_dom0 "$BDF_NIC"; to_dom0 "$BDF_DISK"
			return 1
		fi
		mkdomu io-pt domu-io.cpio.gz "$MAC_MEAS_CTL" "$IP_MEAS_CTL" "$IP_MEAS_DOM0" 1 "$EVAL_CPU" \
			"pci = [ '$BDF_NIC,permissive=1', '$BDF_DISK,permissive=1' ]" || return 1
		# dom0 on every pCPU while the domU's drivers ask pciback for
		# their MSI-X vectors (each request takes seconds under emulation)
		xl vcpu-pin 0 all all
		rpc "$IP_MEAS_CTL" ". /etc/nt/io/io-guest.sh; io_pt_drivers $MAC_NIC $PCIFRONT_TIMEOUT &&
			io_nic_up $MAC_NIC $IP_MEAS/24 && io_reach $IP_PEER 60 && io_probe_load /etc/nt/io/nt_guest_probe.ko"
		rc=$?
		xl vcpu-pin 0 all "$DOM0_CPUS"
		[ $rc = 0 ] || { say "FAILED: io-pt's NIC or disk did not come up, or the peer does not answer"; return 1; } ;;
	paravirtual)
		brctl addbr br0 && brctl addif br0 "$a" && ip link set br0 up && ip link set "$a" up ||
			{ say "FAILED: bridge br0 with $a"; return 1; }
		mkdomu io-pv domu-io.cpio.gz "$MAC_MEAS_CTL" "$IP_MEAS_CTL" "$IP_MEAS_DOM0" 1 "$EVAL_CPU" \
			"vif = [ 'mac=$MAC_MEAS_CTL', 'mac=$MAC_PV,bridge=br0' ]" \
			"disk = [ 'phy:/dev/nvme0n1,xvdb,w' ]" || return 1
		rpc "$IP_MEAS_CTL" ". /etc/nt/io/io-guest.sh; nt_modload xen-blkfront >/dev/null 2>&1;
			nt_wait_file /dev/xvdb 20 || echo 'no /dev/xvdb';
			io_nic_up $MAC_PV $IP_MEAS/24 && io_reach $IP_PEER 60 && io_probe_load /etc/nt/io/nt_guest_probe.ko" ||
			{ say "FAILED: io-pv's netfront or blkfront did not come up, or the peer does not answer"; return 1; } ;;
	*) say "FAILED: unknown configuration '$want'"; return 1 ;;
	esac
	echo "$want" >$STATE
	xl list
	say "config $want ready, up $(nt_uptime) s"
}

do_load_cpu() {
	case "$1" in
	start) rpc "$IP_NBR_CTL" "stress-ng --cpu $STRESS_WORKERS --timeout 3600s --metrics-brief \
			</dev/null >/tmp/stress.log 2>&1 & echo \$! >/tmp/stress.pid; sleep 1;
			kill -0 \$(cat /tmp/stress.pid) && echo \"stress-ng --cpu $STRESS_WORKERS running\"" ;;
	stop) rpc "$IP_NBR_CTL" 'kill -INT $(cat /tmp/stress.pid) 2>/dev/null; i=0;
			while kill -0 $(cat /tmp/stress.pid) 2>/dev/null && [ $i -lt 50 ]; do sleep 0.2; i=$((i + 1)); done;
			cat /tmp/stress.log' ;;
	esac
}

# The regular expressions of the interrupt lines a cell counts and stamps:
# the measured devices' MSI-X vectors (nvme0qN, the e1000e's A, A-rx-0,
# A-tx-0) in the domain that drives them, and for paravirtual the event
# channels of the back ends in dom0 (vifD.1-qN[-tx|-rx], blkif-backend) and
# of the front ends in the domU (its data netfront's -qN[-tx|-rx], blkif).
dev_re() { echo "^(nvme0q[0-9]+|$1|$1-rx-0|$1-tx-0)\$"; }

# domu_nic MAC: the measured domU's interface with that MAC (asked up to 3
# times: a request may go unanswered)
domu_nic() {
	local i=0 ifc
	while [ $i -lt 3 ]; do
		ifc=$(rpc "$IP_MEAS_CTL" ". /etc/nt/io/io-guest.sh; io_nic_of_mac $1")
		case "$ifc" in *[!a-z0-9]*|'') ;; *) echo "$ifc"; return 0 ;; esac
		i=$((i + 1))
	done
	say "FAILED: the measured domU does not name its interface with MAC $1 (got '$ifc')"
	return 1
}

# one_work W FILE CONFIG RE0 REU ARGS...: workload W once (io_work in the
# measured domain), its output in FILE; 0 when it ran through (the measured
# domain's line says rc=0).  For paravirtual dom0's back-end interrupts are
# counted around it too.
one_work() {
	local w=$1 f=$2 config=$3 re0=$4 reu=$5 b0=
	shift 5
	[ -n "$re0" ] && b0=$(io_irqs "$re0")
	if [ "$config" = native ]; then
		io_work "$w" "$re0" "$@" >"$f" 2>&1
	else
		rpc "$IP_MEAS_CTL" ". /etc/nt/io/io-guest.sh; io_work $w '$reu' $*" >"$f" 2>&1
	fi
	[ "$config" = paravirtual ] &&
		echo "nt-io: domain=dom0 irqs_before=$b0 irqs_after=$(io_irqs "$re0") rc=0" >>"$f"
	grep -q "^nt-io: domain=$([ "$config" = native ] && echo dom0 || echo domu) .* rc=0\$" "$f"
}

# cell NAME CONFIG LOAD: REPS repetitions of dd write, dd read, iperf3 in
# the measured domain, with the hypervisor collector and the guest probes.
do_cell() {
	local name=$1 config=$2 load=$3 out=$H/cells/$1 k w re0= reu= meas ifc id disk f
	mkdir -p "$out"
	[ "$(cat $STATE 2>/dev/null)" = "$config" ] ||
		{ say "FAILED: the machine is in configuration '$(cat $STATE 2>/dev/null)', not '$config'"; return 1; }
	case "$config" in
	native) re0=$(dev_re "$(nic_a)"); disk=/dev/nvme0n1 ;;
	passthrough)
		ifc=$(domu_nic "$MAC_NIC") || return 1
		reu=$(dev_re "$ifc"); disk=/dev/nvme0n1 ;;
	paravirtual)
		id=$(domid io-pv)
		ifc=$(domu_nic "$MAC_PV") || return 1
		# the measured netfront is io-pv's second vif (devid 1): its back
		# end in dom0 is vif<domid>.1, and Linux's netfront names its event
		# channels after the xenbus device, not the interface:
		# vif1-qN-tx / vif1-qN-rx (vif0-* is the control link)
		re0="^(nvme0q[0-9]+|$(nic_a)|$(nic_a)-rx-0|$(nic_a)-tx-0|vif$id\\.1-q[0-9]+(-tx|-rx)?|blkif-backend)\$"
		reu="^(vif1-q[0-9]+(-tx|-rx)?|blkif.*)\$"
		disk=/dev/xvdb ;;
	esac
	{
		echo "config=$config"
		echo "load=$load"
		echo "dom0_irq_re=$re0"
		echo "domu_irq_re=$reu"
		echo "disk=$disk"
		echo "started_uptime=$(nt_uptime)"
	} >"$out/cell.txt"
	cat /proc/interrupts >"$out/interrupts-dom0-start.txt"
	[ -n "$reu" ] && rpc "$IP_MEAS_CTL" "cat /proc/interrupts" >"$out/interrupts-domu-start.txt"
	# probes: Xen's collector (entry/deliver of every interrupt; the host keeps
	# the measured devices' IRQs) and the guest module in each domain involved
	rm -f /tmp/hv-all.csv* /tmp/guest-dom0.csv*
	"$H/io/nt-hvcollect" live --events natsume -o /tmp/hv-all.csv --summary "$out/hv-summary.txt" -d 3600 \
		>"$out/hv.log" 2>&1 &
	local hvpid=$!
	local failed=
	# the guest probes must run: a cell without them measures no interrupt
	# (the domU request is asked up to 3 times: its client may crash)
	if [ -n "$re0" ] && ! io_probe_start "$(io_probe_names "$re0")" /tmp/guest-dom0.csv >"$out/reader-dom0.log" 2>&1; then
		say "FAILED: the dom0 probe did not start ($(tr '\n' ' ' <"$out/reader-dom0.log" | cut -c1-160))"
		failed="the dom0 probe did not start"
	fi
	k=0
	while [ -n "$reu" ] && [ $k -lt 3 ] && ! rpc "$IP_MEAS_CTL" ". /etc/nt/io/io-guest.sh; . /etc/nt/lib.sh;
		io_probe_start \$(io_probe_names '$reu') /tmp/guest-domu.csv" >"$out/reader-domu.log" 2>&1; do
		k=$((k + 1))
		say "the domU probe did not start (try $k: $(tr '\n' ' ' <"$out/reader-domu.log" | cut -c1-160))"
	done
	[ -n "$reu" ] && [ $k = 3 ] && { say "FAILED: the domU probe did not start"; failed="${failed:+$failed; }the domU probe did not start"; }
	[ -n "$failed" ] && echo 0 >"$H/stop-cell"
	if [ -z "$failed" ] && [ "$load" = cpu ] &&
	   ! { do_load_cpu start >"$out/load.txt" 2>&1 && grep -q "stress-ng .* running" "$out/load.txt"; }; then
		say "FAILED: stress-ng did not start in the neighbour (load.txt)"
		failed="no CPU load"
		echo 0 >"$H/stop-cell"
	fi
	sleep 1
	k=1 retries=0
	while [ $k -le "$REPS" ]; do
		for w in dd-write dd-read iperf3; do
			# the host asks a cell to end early (Ctrl-C): what ran is kept
			[ -e "$H/stop-cell" ] && { say "cell $name stopped by the host after rep $((k - 1))"; break 2; }
			f=$out/rep-$k-$w.txt
			case "$w" in
			iperf3) set -- "$IP_PEER" "$IPERF_TIME" "$IPERF_DIR" ;;
			*) set -- "$disk" "$DD_BLOCK" "$DD_COUNT" ;;
			esac
			t=1
			while ! one_work "$w" "$f" "$config" "$re0" "$reu" "$@" && [ $t -le "$RETRIES" ]; do
				# a workload that did not run through (the tool failed, or the
				# request to the domU got no answer) is run again, at most
				# RETRIES times per workload; every attempt is kept and counted
				say "cell $name rep $k $w: attempt $t failed ($(tail -n 2 "$f" | tr '\n' ' ' | cut -c1-160)), again"
				mv "$f" "$f.failed-$t"
				retries=$((retries + 1))
				t=$((t + 1))
			done
			say "cell $name rep $k $w: $(grep -E 'copied|receiver|sender' "$f" | tail -n 1)"
		done
		k=$((k + 1))
	done
	[ "$load" = cpu ] && do_load_cpu stop >>"$out/load.txt" 2>&1
	[ -n "$re0" ] && io_probe_stop >>"$out/reader-dom0.log" 2>&1
	if [ -n "$reu" ]; then
		rpc "$IP_MEAS_CTL" ". /etc/nt/io/io-guest.sh; . /etc/nt/lib.sh; io_probe_stop" >>"$out/reader-domu.log" 2>&1
		# checksums taken where the files were written: the host compares them
		rpc "$IP_MEAS_CTL" "cd /tmp && md5sum guest-domu.csv guest-domu.csv.meta" >>"$out/sums.txt"
		fetch "$IP_MEAS_CTL" /tmp/guest-domu.csv "$out/guest-domu.csv"
		fetch "$IP_MEAS_CTL" /tmp/guest-domu.csv.meta "$out/guest-domu.csv.meta"
		rpc "$IP_MEAS_CTL" "cat /proc/interrupts" >"$out/interrupts-domu-end.txt"
	fi
	kill -INT $hvpid 2>/dev/null
	k=0
	while kill -0 $hvpid 2>/dev/null && [ $k -lt 100 ]; do sleep 0.2; k=$((k + 1)); done
	kill -0 $hvpid 2>/dev/null && { kill -KILL $hvpid; say "nt-hvcollect killed after 20 s"; }
	wait $hvpid
	echo "exit=$?" >>"$out/hv.log"
	# the records were written in dom0's memory: one copy each into the
	# share, with their checksums taken here (the host compares them)
	for f in hv-all.csv hv-all.csv.meta guest-dom0.csv guest-dom0.csv.meta; do
		[ -f "/tmp/$f" ] || continue
		(cd /tmp && md5sum "$f") >>"$out/sums.txt"
		cp "/tmp/$f" "$out/"
	done
	rm -f /tmp/hv-all.csv* /tmp/guest-dom0.csv*
	cat /proc/interrupts >"$out/interrupts-dom0-end.txt"
	# the measured devices' Xen IRQs (the MSIs Xen lists for each device)
	xl debug-keys Q
	xl dmesg | grep -E "($BDF_NIC|$BDF_DISK) - " | tail -n 2 >"$out/xen-msi.txt"
	echo "retries=$retries" >>"$out/cell.txt"
	echo "finished_uptime=$(nt_uptime)" >>"$out/cell.txt"
	[ -z "$failed" ] || { echo "failed=$failed" >>"$out/cell.txt"; return 1; }
	say "cell $name done"
}

case "${1:-}" in
setup) do_setup ;;
config) do_config "$2" ;;
cell) do_cell "$2" "$3" "$4" ;;
load-cpu) do_load_cpu "$2" ;;
*) say "usage: io-dom0.sh setup | config CONFIG | cell NAME CONFIG LOAD | load-cpu start|stop"; exit 2 ;;
esac
