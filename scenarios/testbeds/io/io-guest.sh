# SPDX-License-Identifier: GPL-2.0
# The passthrough-cost experiment (experiment = io) inside the emulated
# machine: functions for busybox sh, sourced in dom0 (from the 9p share) and
# in the measured domU (/etc/nt/io/io-guest.sh in its image).  The host side
# is scenarios/testbeds/qemu-xen-io.sh; docs/scenarios.md describes the
# experiment.  Every wait is bounded.
command -v nt_iface_of_mac >/dev/null 2>&1 || . /etc/nt/lib.sh

# io_irqs REGEX: interrupts so far of the /proc/interrupts lines whose name
# (the last field) matches the extended regular expression, summed over CPUs.
io_irqs() {
	awk -v re="$1" 'NR > 1 && $NF ~ re {
		for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) t += $i
	} END { printf "%.0f\n", t }' /proc/interrupts
}

# io_irq_names REGEX: the names of those lines, comma-separated (for the
# record and for the guest probe's names=).
io_irq_names() {
	awk -v re="$1" 'NR > 1 && $NF ~ re { printf "%s%s", n++ ? "," : "", $NF } END { print "" }' /proc/interrupts
}

# io_work KIND REGEX ARGS...: one workload, bracketed by the interrupt count
# of the lines matching REGEX.  Prints the tool's own output, then one line
#   nt-io: domain=ROLE irqs_before=N irqs_after=M rc=R
# KIND and ARGS:
#   dd-write DEVICE BLOCK COUNT   dd from /dev/zero to DEVICE, O_DIRECT
#   dd-read DEVICE BLOCK COUNT    dd from DEVICE to /dev/null, O_DIRECT
#   iperf3 PEER SECONDS receive|send   a TCP stream with the peer's iperf3
#                                 server (receive: the peer sends, -R)
# dd is Debian's coreutils dd (/usr/bin/dd: it reports the seconds it took,
# on the domain's CLOCK_MONOTONIC); busybox's does not.
io_work() {
	local kind=$1 re=$2 before after rc dir
	shift 2
	before=$(io_irqs "$re")
	case "$kind" in
	dd-write) timeout 600 /usr/bin/dd if=/dev/zero of="$1" bs="$2" count="$3" oflag=direct 2>&1 ;;
	dd-read) timeout 600 /usr/bin/dd if="$1" of=/dev/null bs="$2" count="$3" iflag=direct 2>&1 ;;
	iperf3)
		dir=
		[ "$3" = receive ] && dir=-R
		timeout $(($2 + 60)) iperf3 -c "$1" -t "$2" -f m $dir --connect-timeout 10000 2>&1 ;;
	*) echo "io_work: unknown workload '$kind'"; return 2 ;;
	esac
	rc=$?
	after=$(io_irqs "$re")
	echo "nt-io: domain=$(cat /run/nt-role 2>/dev/null) irqs_before=$before irqs_after=$after rc=$rc"
	return $rc
}

# io_probe_names REGEX [FILE]: the names for the guest probe's names= (the
# module takes at most 8): the lines of io_irq_names with the queues of one
# device folded into a prefix (nvme0q1, nvme0q2 -> nvme0q*; vif3.1-q0-tx ->
# vif3.1-q*).  FILE: /proc/interrupts unless given (tests).
io_probe_names() {
	awk -v re="$1" 'NR > 1 && $NF ~ re { n = $NF; if (match(n, /q[0-9]+(-tx|-rx)?$/)) n = substr(n, 1, RSTART) "*"
		if (!seen[n]++) printf "%s%s", k++ ? "," : "", n } END { print "" }' "${2:-/proc/interrupts}"
}

# io_probe_start NAMES OUT: stamp the handlers NAMES (comma-separated, as in
# /proc/interrupts) with the guest module (loaded by io_probe_load) and drain
# into OUT (CSV + OUT.meta) in the background until io_probe_stop.
io_probe_start() {
	echo "$1" >/sys/module/nt_guest_probe/parameters/names || return 1
	rm -f /tmp/nt-io-reader.stop /tmp/nt-io-reader.ready
	nt-guest-read --out "$2" --stop-file /tmp/nt-io-reader.stop --ready-file /tmp/nt-io-reader.ready \
		--duration 1h </dev/null >/tmp/nt-io-reader.log 2>&1 &
	echo $! >/tmp/nt-io-reader.pid
	nt_wait_file /tmp/nt-io-reader.ready 10 || { echo "io_probe_start: the reader did not start"; return 1; }
}

# io_probe_stop: the reader flushes and exits (bounded: 20 s, then killed).
io_probe_stop() {
	local pid i=0
	pid=$(cat /tmp/nt-io-reader.pid 2>/dev/null) || return 0
	touch /tmp/nt-io-reader.stop
	while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.2; i=$((i + 1)); done
	kill -0 "$pid" 2>/dev/null && { kill "$pid"; echo "nt-io: probe reader killed after 20 s"; }
	echo none >/sys/module/nt_guest_probe/parameters/names
	rm -f /tmp/nt-io-reader.pid
	cat /tmp/nt-io-reader.log
}

# io_probe_load KO: the guest module with handler-exit stamps, no packet
# hooks (the workloads' packets carry no probe payload).
io_probe_load() {
	grep -q '^nt_guest_probe ' /proc/modules && return 0
	insmod "$1" names=none irq_exit=1 rx=0 buf_records=65536
}

# io_nic_of_mac MAC: the interface of the device with that MAC (a bridge
# that took its port's address is not it).
io_nic_of_mac() {
	local d
	for d in /sys/class/net/*; do
		[ -e "$d/device" ] && [ "$(cat "$d/address" 2>/dev/null)" = "$1" ] && { echo "${d##*/}"; return 0; }
	done
	return 1
}

# io_pt_drivers MAC TIMEOUT: the passed-through devices' drivers in the
# domU, one after the other.  pcifront first waits up to TIMEOUT s for
# pciback (its op_timeout: upstream's 2 s is too short under emulation and a
# request it gives up on leaves the device half set up; pcifront/build.sh).
# e1000e until the NIC with MAC shows, nvme until /dev/nvme0n1 does.  Both
# must have got their MSI-X or MSI vectors: a driver that fell back to
# legacy interrupts would not measure what the native configuration does.
io_pt_drivers() {
	local i=0 bad
	echo "$2" >/sys/module/xen_pcifront/parameters/op_timeout ||
		{ echo "io_pt_drivers: pcifront has no op_timeout (not the testbed's patched module)"; return 1; }
	grep -q '^e1000e ' /proc/modules || nt_modload e1000e >/dev/null 2>&1
	while ! io_nic_of_mac "$1" >/dev/null && [ $i -lt 300 ]; do sleep 0.2; i=$((i + 1)); done
	io_nic_of_mac "$1" >/dev/null || { echo "io_pt_drivers: no NIC $1 after loading e1000e"; return 1; }
	grep -q '^nvme ' /proc/modules || nt_modload nvme >/dev/null 2>&1
	nt_wait_file /dev/nvme0n1 120 || { echo "io_pt_drivers: no /dev/nvme0n1 after loading nvme"; return 1; }
	bad=$(dmesg | grep -E "pciback not responding|Falling back to legacy|enable msix? get err|enable msi failed" | head -n 3)
	[ -z "$bad" ] || { echo "io_pt_drivers: the devices did not get their MSI-X/MSI vectors: $bad" | tr '\n' ' '; echo; return 1; }
	echo "io_pt_drivers: e1000e and nvme up with MSI-X/MSI (pcifront op_timeout $2 s)"
}

# io_nic_up MAC ADDR/LEN: the interface with that MAC gets the address and
# comes up; waits (10 s at most) for its carrier.  Prints the interface.
io_nic_up() {
	local ifc i=0
	ifc=$(io_nic_of_mac "$1") || { echo "io_nic_up: no interface with MAC $1" >&2; return 1; }
	ip addr flush dev "$ifc"
	ip addr add "$2" dev "$ifc" && ip link set "$ifc" up || return 1
	while [ "$(cat /sys/class/net/$ifc/carrier 2>/dev/null)" != 1 ] && [ $i -lt 50 ]; do
		sleep 0.2
		i=$((i + 1))
	done
	echo "$ifc"
}

# io_reach ADDR SECONDS: 0 when ADDR answers a ping within SECONDS.
io_reach() {
	local i=0
	while [ $i -lt "$2" ]; do
		ping -c 1 -W 1 "$1" >/dev/null 2>&1 && return 0
		i=$((i + 1))
	done
	return 1
}
