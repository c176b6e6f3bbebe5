# SPDX-License-Identifier: GPL-2.0
# The passthrough-cost experiment (experiment = io) on the qemu-xen testbed,
# sourced by scenarios/testbeds/qemu-xen.sh: the same workload (dd write and
# read with O_DIRECT, an iperf3 TCP stream) in three configurations of one
# emulated machine (native: dom0 drives the devices; passthrough: a PV domU
# owns them through pciback; paravirtual: the domU uses netfront/blkfront and
# dom0's back ends drive them) under three loads (none; stress-ng in a
# neighbouring domain; a UDP flood from nt-flood into the neighbour's NIC),
# with the hypervisor collector and the guest probe (entry and exit of the
# measured devices' handlers) running.  docs/scenarios.md, "The
# passthrough-cost experiment", describes the machine; the guest side is
# scenarios/testbeds/io/.  Times are emulated (QEMU TCG): every table and
# figure says so.
#
# Functions for the runner: tb_check, tb_setup, tb_variant,
# tb_variant_seconds, tb_variant_summary, tb_stop_all, tb_teardown.

. "$top/testbed/emu.sh"

IO_DIR=$here/testbeds/io
IO_WORK="" IO_PORT_A="" IO_PORT_C=""
IO_PREV_CONFIG="" IO_NBR_FAILED=""
declare -A IO_CONFIG_FAILED=()
# The emulated machine's layout (io.env in dom0; docs/scenarios.md).
IO_BDF_NIC=0000:00:03.0 IO_BDF_DISK=0000:00:04.0 IO_BDF_NBR=0000:00:05.0
IO_MAC_NIC=52:54:00:12:34:03 IO_MAC_NBR=52:54:00:12:34:05 IO_MAC_PEER=52:54:00:12:34:99
IO_MAC_PV=00:16:3e:00:01:02 IO_MAC_MEAS_CTL=00:16:3e:00:01:01 IO_MAC_NBR_CTL=00:16:3e:00:02:01
IO_MAC_NBR_PV=00:16:3e:00:02:02
IO_IP_MEAS=192.0.2.1 IO_IP_PEER=192.0.2.2 IO_IP_NBR=203.0.113.2 IO_IP_FLOOD=203.0.113.1
# a workload that does not run through is run again, at most this many times
# (every attempt kept and counted: workload_retries in meta.txt)
IO_RETRIES=2
# seconds the passthrough domU's pcifront waits for dom0's pciback (upstream:
# 2; io/pcifront/build.sh says why the testbed needs more)
IO_PCIFRONT_TIMEOUT=60
# the run's emulated= key (docs/run-layout.md "Emulated times")
IO_EMULATED="QEMU TCG: times 10-50x inflated and noisy; orderings, not hardware figures"

io_missing() {
	local miss=0 p
	if [ "${S[experiment]}" != io ]; then
		echo "  - this driver runs experiment = io only"
		return 1
	fi
	for p in /usr/bin/iperf3 /usr/bin/stress-ng /usr/bin/dd; do
		[ -x "$p" ] || { echo "  - $p on this host, copied into the guests (Debian packages iperf3, stress-ng, coreutils)"; miss=1; }
	done
	if [ -x "$bindir/nt-flood" ] && ! "$bindir/nt-flood" --help 2>&1 | grep -q -- '--qemu'; then
		echo "  - nt-flood with the QEMU socket back end (--backend qemu --qemu PORT), for the I/O load"
		miss=1
	fi
	if ! make -s -C "$top/hv-probe" collector-dom0 >/dev/null 2>&1 || [ ! -x "$top/build/dom0/nt-hvcollect" ]; then
		echo "  - the static collector for dom0 (make -C hv-probe collector-dom0 failed)"
		miss=1
	fi
	if ! make -s -C "$top/guest-probe" guest-bins >/dev/null 2>&1 || [ ! -x "$top/build/guest/bin/nt-guest-read" ]; then
		echo "  - the static guest reader (make -C guest-probe guest-bins failed)"
		miss=1
	fi
	if ! make -s -C "$top/testbed" guest-bins >/dev/null 2>&1 || [ ! -x "$top/build/guest/bin/nt-agent" ]; then
		echo "  - the static domU agent (make -C testbed guest-bins failed)"
		miss=1
	fi
	return $miss
}

tb_check() {
	local out miss=0
	out=$(xen_missing) || miss=1
	out+=$'\n'$(io_missing) || miss=1
	command -v qemu-system-x86_64 >/dev/null ||
		{ out+=$'\n'"  - qemu-system-x86_64 (Debian package qemu-system-x86)"; miss=1; }
	[ $miss = 0 ] && return 0
	{
		echo "$PROG: testbed 'qemu-xen' cannot run '$name' here. Missing:"
		printf '%s\n' "$out" | sed '/^$/d'
		echo "$PROG: nothing was started and no run folder was written."
	} >&2
	return 1
}

# io_n KEY DEFAULT [VARIANT]: a scenario value
io_n() { scn_or "$1" "$2" "${3-}"; }

io_env() {
	local bs size v nbr=0
	bs=$(io_n dd.block 1048576)
	size=$(io_n dd.size 8388608)
	# the neighbour domain only when a cell has a load
	for v in "${variants[@]}"; do
		[ "$(io_n io.load none "$v")" = none ] || nbr=1
	done
	cat <<EOF
BDF_NIC=$IO_BDF_NIC
BDF_DISK=$IO_BDF_DISK
BDF_NBR=$IO_BDF_NBR
MAC_NIC=$IO_MAC_NIC
MAC_NBR=$IO_MAC_NBR
MAC_NBR_PV=$IO_MAC_NBR_PV
MAC_PV=$IO_MAC_PV
MAC_MEAS_CTL=$IO_MAC_MEAS_CTL
MAC_NBR_CTL=$IO_MAC_NBR_CTL
IP_MEAS=$IO_IP_MEAS
IP_PEER=$IO_IP_PEER
IP_NBR=$IO_IP_NBR
IP_MEAS_CTL=198.51.100.2
IP_MEAS_DOM0=198.51.100.1
IP_NBR_CTL=198.51.100.6
IP_NBR_DOM0=198.51.100.5
AGENT_PORT=7100
AGENT_WAIT=300
PCIFRONT_TIMEOUT=$IO_PCIFRONT_TIMEOUT
DOMU_MEM=256
DOM0_CPUS=0
EVAL_CPU=1
NBR_VCPUS=2
NBR_CPUS=0-1
NBR=$nbr
REPS=$(io_n io.reps 2)
DD_BLOCK=$bs
DD_COUNT=$(( size / bs ))
IPERF_TIME=$(( $(io_n iperf.time 3000000000) / 1000000000 ))
IPERF_DIR=$(io_n iperf.direction receive)
STRESS_WORKERS=$(io_n stress.workers 2)
RETRIES=$IO_RETRIES
EOF
}

# io_image NAME BASE_ROLE OUT EXTRAS-ARGS... -- FILES...: BASE_ROLE's image plus
# the extras (testbed/mkimage.sh extras) and FILES (SRC:DEST pairs)
io_image() {
	local role=$1 out=$2 ov
	shift 2
	ov=$IO_WORK/ovl-$(basename "$out" .cpio.gz)
	rm -rf "$ov"
	mkdir -p "$ov"
	local extras=() files=() seen=0 a
	for a in "$@"; do
		if [ "$a" = -- ]; then seen=1; continue; fi
		if [ $seen = 0 ]; then extras+=("$a"); else files+=("$a"); fi
	done
	"$top/testbed/mkimage.sh" extras "$ov" "${extras[@]}" >>"$IO_WORK/images.log" 2>&1 || return 1
	for a in "${files[@]}"; do
		mkdir -p "$ov$(dirname "${a#*:}")"
		cp "${a%%:*}" "$ov${a#*:}" || return 1
	done
	emu_image "$role" >>"$IO_WORK/images.log" 2>&1 || return 1
	emu_overlay "$EMU_IMAGE" "$ov" "$out"
}

io_images() {
	local ko share=$IO_WORK/share
	ko=$(ls "$top"/build/*/modules/*/nt_guest_probe.ko 2>/dev/null | head -n1)
	local gr=$top/build/guest/bin/nt-guest-read ag=$top/build/guest/bin/nt-agent agf
	mkdir -p "$share/io"
	cp "$IO_DIR/io-dom0.sh" "$IO_DIR/io-guest.sh" "$top/build/dom0/nt-hvcollect" "$gr" "$ko" "$ag" "$share/io/" ||
		return 1
	# the testbed's agent program: the domUs serve with it, dom0 asks with it
	agf=("$ag:/usr/bin/nt-agent")
	io_image dom0 "$IO_WORK/dom0.cpio.gz" --mods "nvme bridge" /usr/bin/iperf3 /usr/bin/dd || return 1
	# the measured domU's pcifront: Debian's with a longer wait for pciback
	local pf kver
	kver=$(basename "$(dirname "$ko")")
	pf=$("$IO_DIR/pcifront/build.sh" "$top/build/guest/pcifront" 2>>"$IO_WORK/images.log") || return 1
	io_image domu "$share/domu-io.cpio.gz" --mods "nvme xen-blkfront" /usr/bin/iperf3 /usr/bin/dd -- \
		"$IO_DIR/io-guest.sh:/etc/nt/io/io-guest.sh" "$ko:/etc/nt/io/nt_guest_probe.ko" \
		"$gr:/usr/bin/nt-guest-read" "$pf:/lib/modules/$kver/kernel/drivers/pci/xen-pcifront.ko" \
		"${agf[@]}" || return 1
	io_image domu "$share/domu-nbr.cpio.gz" /usr/bin/stress-ng -- "${agf[@]}" || return 1
	io_image plain "$IO_WORK/peer.cpio.gz" /usr/bin/iperf3 || return 1
	cp "$EMU_KERNEL" "$share/vmlinuz"
}

# The peer: a second QEMU (plain Linux, 1 vCPU) whose NIC is the other end of
# NIC A's socket netdev; it runs the iperf3 server until told to stop.
io_peer_start() {
	local ps=$IO_WORK/peer-share
	mkdir -p "$ps"
	cat >"$ps/job.sh" <<EOF
. /etc/nt/lib.sh
ifc=\$(nt_iface_of_mac $IO_MAC_PEER) || { echo "no NIC $IO_MAC_PEER"; exit 1; }
ip addr add $IO_IP_PEER/24 dev \$ifc && ip link set \$ifc up || exit 1
echo "peer: \$ifc $IO_IP_PEER, iperf3 server"
timeout 7200 iperf3 -s >/mnt/host/iperf3-server.log 2>&1 &
touch /mnt/host/peer.ready
i=0
while [ ! -e /mnt/host/stop ] && [ \$i -lt 7200 ]; do sleep 1; i=\$((i + 1)); done
kill \$! 2>/dev/null
EOF
	local cur_variant=setup
	bg_start peer "$ps/qemu.out" "$top/testbed/qemu.sh" --share "$ps" --log "$ps/serial.log" --mem 256 --smp 1 \
		--kernel "$EMU_KERNEL" --initrd "$IO_WORK/peer.cpio.gz" --timeout 14400 \
		--nic "model=e1000,port=$((IO_PORT_A + 1)),remote=$IO_PORT_A,mac=$IO_MAC_PEER"
}

# io_peer_stop: the peer's job ends when told (it powers off), else bg_stop
# ends its QEMU after 30 s
io_peer_stop() {
	[ -n "${BG_PID[peer]-}" ] || return 0
	touch "$IO_WORK/peer-share/stop"
	bg_stop peer 30
}

# io_dom0 NAME SECONDS ARGS...: a job in dom0 (io-dom0.sh ARGS); its log goes
# to the run folder's testbed/ folder.  Returns the job's status (124: it
# took longer than SECONDS, 125: the machine ended).
io_dom0() {
	local jn=$1 s=$2 rc
	shift 2
	logcmd "$cur_variant" dom0: sh io/io-dom0.sh "$@"
	emu_job_start "$jn" - <<<"sh \$NT_SHARE/io/io-dom0.sh $*"
	io_wait_job "$s" "$jn"
	rc=$?
	cp "$EMU_JOB.log" "$run_dir/testbed/$(basename "$EMU_JOB").log" 2>/dev/null
	return $rc
}

# io_wait_job SECONDS WHAT: wait for the current job, with the progress line
io_wait_job() {
	local s=$1 what=$2 t0 el
	t0=$(date +%s)
	while :; do
		emu_wait "$EMU_JOB.rc" 2
		case $? in
		0) break ;;
		2) return 125 ;;
		esac
		el=$(( $(date +%s) - t0 ))
		[ $el -ge "$s" ] && return 124
		progress "${VLABEL:-setup}: $what, ${el}s elapsed" $(( ${IO_EXPECT:-0} - el > 0 ? IO_EXPECT - el + ${REST_AFTER:-0} : ${REST_AFTER:-0} ))
	done
	[ $tty = 1 ] && printf '\r\033[K' >&2
	return "$(cat "$EMU_JOB.rc")"
}

tb_setup() {
	IO_WORK=$(mktemp -d "${TMPDIR:-/tmp}/nt-io-$$-XXXXXX") || return 1
	mkdir -p "$IO_WORK/share" "$run_dir/testbed"
	meta emulated "$IO_EMULATED"
	meta grid.rows "native passthrough paravirtual"
	meta grid.cols "none cpu io"
	meta grid.row_title configuration
	meta grid.col_title load
	say "$PROG: building the guest images (testbed/mkimage.sh; cached)"
	io_images || { say "$PROG: the guest images could not be built (see $IO_WORK/images.log)";
		cp "$IO_WORK/images.log" "$run_dir/testbed/" 2>/dev/null; return 1; }
	io_env >"$IO_WORK/share/io.env"
	cp "$IO_WORK/share/io.env" "$run_dir/testbed/io.env"
	emu_xen_patched || { say "$PROG: $EMU_WHY"; return 1; }
	local ports
	ports=$(emu_ports 2) || { say "$PROG: no free UDP ports"; return 1; }
	read -r IO_PORT_A IO_PORT_C <<<"$ports"
	truncate -s "$(io_n disk.size 268435456)" "$IO_WORK/disk.img" || return 1
	io_peer_start
	local iommu=(--iommu)
	# NT_IO_NO_IOMMU=1 (tests): no emulated VT-d, so that passthrough cannot be
	# set up and the run shows how a configuration that fails is reported
	[ "${NT_IO_NO_IOMMU:-0}" = 1 ] && iommu=()
	local args=(--xen "$EMU_XEN" "${iommu[@]}" --kernel "$EMU_KERNEL" --initrd "$IO_WORK/dom0.cpio.gz"
		--smp "$(io_n qemu.smp 2)" --mem "$(io_n qemu.mem 2048)"
		--nic "model=e1000e,port=$IO_PORT_A,addr=0x3,mac=$IO_MAC_NIC"
		--disk "model=nvme,file=$IO_WORK/disk.img,addr=0x4"
		--nic "model=e1000,port=$IO_PORT_C,addr=0x5,mac=$IO_MAC_NBR" --timeout 14400)
	logcmd setup "$top/testbed/qemu.sh" --share "$IO_WORK/share" "${args[@]}"
	emu_boot "$IO_WORK/share" "${args[@]}"
	{
		echo "# qemu-xen testbed, passthrough-cost experiment, $(stamp)"
		echo "xen=$EMU_XEN"
		echo "qemu_args=${args[*]}"
		echo "peer=plain Linux under QEMU TCG, NIC port=$((IO_PORT_A + 1)),remote=$IO_PORT_A"
		echo "flood_port=$IO_PORT_C"
	} >"$run_dir/testbed.txt"
	say "$PROG: booting Xen and dom0 under QEMU TCG (and the peer)"
	IO_EXPECT=60
	emu_wait "$IO_WORK/share/agent.ready" 600
	case $? in
	0) ;;
	*) say "$PROG: dom0 did not come up (see $run_dir/testbed/serial.log)"; io_keep_logs; return 1 ;;
	esac
	emu_wait "$IO_WORK/peer-share/peer.ready" 300 ||
		{ say "$PROG: the peer did not come up (see $run_dir/testbed/peer-serial.log)"; io_keep_logs; return 1; }
	IO_EXPECT=180
	if ! io_dom0 setup 1200 setup; then
		if grep -q "neighbour" "$run_dir/testbed/"*-setup.log 2>/dev/null &&
		   grep -q "^nt-io: native:" "$run_dir/testbed/"*-setup.log; then
			IO_NBR_FAILED=$(grep -m1 "FAILED" "$run_dir/testbed/"*-setup.log | sed 's/^nt-io: FAILED: //')
			say "$PROG: the neighbour domain could not be set up ($IO_NBR_FAILED): the cpu and io loads cannot run"
		else
			say "$PROG: dom0's setup failed (see $run_dir/testbed/*-setup.log)"
			io_keep_logs
			return 1
		fi
	fi
	IO_PREV_CONFIG=native
	local khz
	khz=$(sed -n 's/^cpu_mhz *: *//p' "$IO_WORK/share/xl-info.txt" 2>/dev/null)
	meta xen_cpu_mhz "${khz:-unknown}"
	meta tsc_note "the emulated TSC is the host's TSC (QEMU TCG reads it; domUs run with tsc_mode=native): tsc_hz is the host's calibration, xen_cpu_mhz Xen's own"
}

io_keep_logs() {
	[ -n "$IO_WORK" ] || return 0
	cp "$IO_WORK/share/serial.log" "$run_dir/testbed/serial.log" 2>/dev/null
	cp "$IO_WORK/peer-share/serial.log" "$run_dir/testbed/peer-serial.log" 2>/dev/null
	cp "$IO_WORK/peer-share/iperf3-server.log" "$run_dir/testbed/" 2>/dev/null
	cp "$IO_WORK/share/"*-console.txt "$IO_WORK/share/"*.cfg "$IO_WORK/share/xl-info.txt" "$run_dir/testbed/" 2>/dev/null
	cp "$IO_WORK/images.log" "$run_dir/testbed/" 2>/dev/null
}

tb_stop_all() {
	bg_stop flood
	# a cell that is still running ends after its current workload
	[ -n "$IO_WORK" ] && [ -d "$IO_WORK/share" ] && touch "$IO_WORK/share/stop-cell"
	return 0
}

tb_teardown() {
	[ -n "$IO_WORK" ] || return 0
	emu_poweroff 60 >/dev/null 2>&1
	io_peer_stop
	io_keep_logs
	rm -rf "$IO_WORK"
	IO_WORK=""
}

tb_variant_seconds() {
	local v=$1 reps size it s
	reps=$(io_n io.reps 2 "$v"); size=$(io_n dd.size 8388608 "$v"); it=$(io_n iperf.time 3000000000 "$v")
	# under TCG about 5 MB/s for O_DIRECT dd, 10 s of job overhead per rep
	s=$(( reps * (2 * size / 5000000 + it / 1000000000 + 10) + 20 ))
	[ "$(io_n io.config native "$v")" != "${IO_PREV_CONFIG:-native}" ] && s=$((s + 120))
	echo $s
}

# io_results DIR: the results of a cell from its rep-K-WORK.txt files, as
# result keys of DIR/meta.txt (docs/run-layout.md, "Workload results").
io_results() {
	local d=$1 reps=$2 k w
	awk -v reps="$reps" -v iperf_dir="$(io_n iperf.direction receive)" '
	function val(x) { return x == "" ? "failed" : x }
	FNR == 1 { split(FILENAME, p, "/"); f = p[length(p)]; sub(/^rep-/, "", f); sub(/\.txt$/, "", f)
		k = f; sub(/-.*/, "", k); w = f; sub(/^[0-9]+-/, "", w); secs[k, w] = ""; mbps[k, w] = "" }
	w ~ /^dd-/ && / copied, / { s = $0; sub(/ s, .*/, "", s); sub(/.* /, "", s); secs[k, w] = s }
	w == "iperf3" && /receiver$/ && /Mbits\/sec/ {
		for (i = 1; i < NF; i++) if ($(i + 1) == "Mbits/sec") mbps[k, w] = $i
		for (i = 1; i <= NF; i++) if ($i ~ /^[0-9.]+-[0-9.]+$/) { split($i, iv, "-"); secs[k, w] = iv[2] - iv[1] }
	}
	/^nt-io: domain=/ { dom = ""; b = ""; a = ""; rc = ""
		for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == "domain") dom = kv[2]; if (kv[1] == "irqs_before") b = kv[2]
			if (kv[1] == "irqs_after") a = kv[2]; if (kv[1] == "rc") rc = kv[2] }
		if (dom == "domu" || dom == "dom0") { irq[k, w, dom] = a - b; if (rc != 0) bad[k, w] = 1 }
	}
	END {
		n = 0
		split("dd-write dd-read iperf3", ws, " ")
		name["dd-write"] = "dd_write"; name["dd-read"] = "dd_read"; name["iperf3"] = "iperf3"
		printf "result.%d=dd_write:s\nresult.dd_write.what=seconds dd took to write the size with O_DIRECT, as dd reports them (the measured domain'\''s CLOCK_MONOTONIC)\n", n++
		printf "result.%d=dd_read:s\nresult.dd_read.what=seconds dd took to read it back with O_DIRECT, as dd reports them\n", n++
		printf "result.%d=iperf3:Mbit/s\nresult.iperf3.what=TCP stream with the peer, the measured domain %s; Mbit/s of the receiver line iperf3 prints (the receiving side'\''s clock)\n", n++, (iperf_dir == "receive" ? "receiving (iperf3 -R)" : "sending")
		for (j = 1; j <= 3; j++) for (dd = 0; dd < 2; dd++) {
			dom = dd ? "domu" : "dom0"; r = "irqs_" name[ws[j]] "_" dom
			printf "result.%d=%s:1/s\nresult.%s.what=interrupts per second of the %s in %s: the /proc/interrupts delta of the measured lines (cell.txt) over the workload'\''s own seconds\n", n++, r, r, ws[j], dom
		}
		for (j = 1; j <= 3; j++) {
			w = ws[j]; r = name[w]
			printf "result.%s.reps=%d\n", r, reps
			for (k = 1; k <= reps; k++) {
				if (!((k, w) in secs)) continue
				v = (w == "iperf3") ? mbps[k, w] : secs[k, w]
				if (bad[k, w]) v = ""
				printf "result.%s.%d=%s\n", r, k, val(v)
				for (dd = 0; dd < 2; dd++) {
					dom = dd ? "domu" : "dom0"
					if (!((k, w, dom) in irq)) continue
					rr = "irqs_" r "_" dom
					printf "result.%s.reps=%d\n", rr, reps
					printf "result.%s.%d=%s\n", rr, k, (secs[k, w] > 0 && !bad[k, w]) ? sprintf("%.6g", irq[k, w, dom] / secs[k, w]) : "failed"
				}
			}
		}
	}' "$d"/raw/rep-*-*.txt
}

# io_check_records DIR: the record files the cell brought back (DIR/raw/) are
# checked twice: their checksums against those taken in the domain that wrote
# them (sums.txt: did the copy change them?), and their rows with the
# analyzer's own parser (nt-analyze convert --lenient: rows that are not
# records are skipped and counted).  A file with bad rows is replaced by its
# good rows; the original stays as FILE.damaged.  Everything is said in
# meta.txt (records_check.FILE=...) and on the runner's output.
io_check_records() {
	local d=$1 f n sum want
	for f in hv-all.csv guest-dom0.csv guest-domu.csv; do
		[ -f "$d/raw/$f" ] || continue
		want=$(awk -v f="$f" '$2 == f { print $1 }' "$d/raw/sums.txt" 2>/dev/null)
		sum=$(md5sum <"$d/raw/$f" | cut -d' ' -f1)
		if [ -z "$want" ]; then
			echo "records_copy.$f=unchecked (no checksum from the domain)" >>"$d/meta.txt"
		elif [ "$want" = "$sum" ]; then
			echo "records_copy.$f=same as written" >>"$d/meta.txt"
		else
			echo "records_copy.$f=CHANGED on the way (md5 $want in the domain, $sum here)" >>"$d/meta.txt"
			say "$PROG: $VLABEL: $f changed on its way out of the emulated machine"
		fi
		if ! "$bindir/nt-analyze" convert --lenient "$d/raw/$f" "$d/raw/$f.lenient" >"$d/raw/$f.check.log" 2>&1; then
			# set aside: the variant keeps no file the analyzer cannot read
			echo "records_check.$f=unreadable, set aside as raw/$f.unreadable ($(head -c 200 "$d/raw/$f.check.log" | tr '\n' ' '))" >>"$d/meta.txt"
			say "$PROG: $VLABEL: $f is unreadable (raw/$f.unreadable)"
			rm -f "$d/raw/$f.lenient" "$d/raw/$f.lenient.meta"
			mv "$d/raw/$f" "$d/raw/$f.unreadable"
			[ -f "$d/raw/$f.meta" ] && mv "$d/raw/$f.meta" "$d/raw/$f.meta.unreadable"
			continue
		fi
		n=$(sed -n 's/.*converted [0-9]* records (\([0-9]*\) malformed rows* skipped).*/\1/p' "$d/raw/$f.check.log")
		if [ "${n:-0}" = 0 ]; then
			echo "records_check.$f=every row a record" >>"$d/meta.txt"
			rm -f "$d/raw/$f.lenient" "$d/raw/$f.lenient.meta"
			continue
		fi
		echo "records_check.$f=$n damaged row(s) skipped (not records: bytes changed in the emulated machine or on the way; the file as written is raw/$f.damaged)" >>"$d/meta.txt"
		say "$PROG: $VLABEL: $f: $n damaged row(s) skipped (raw/$f.damaged)"
		mv "$d/raw/$f" "$d/raw/$f.damaged"
		mv "$d/raw/$f.lenient" "$d/raw/$f"
		[ -f "$d/raw/$f.lenient.meta" ] && mv "$d/raw/$f.lenient.meta" "$d/raw/$f.meta"
	done
}

# io_hv_filter DIR: hv.csv = the records of the measured devices' Xen IRQs
# (xen-msi.txt: the MSIs Xen lists for each device) and every lost record;
# the unfiltered file stays in raw/.
io_hv_filter() {
	local d=$1 irqs
	irqs=$(sed -n 's/.*MSIs < \(.*\) >.*/\1/p' "$d/raw/xen-msi.txt" 2>/dev/null | tr '\n' ' ')
	[ -f "$d/raw/hv-all.csv" ] || return 1
	awk -F, -v irqs="$irqs" 'BEGIN { n = split(irqs, a, " "); for (i = 1; i <= n; i++) want[a[i]] = 1 }
		NR == 1 || $2 == "lost" || ($5 in want) { print }' "$d/raw/hv-all.csv" >"$d/hv.csv"
	cp "$d/raw/hv-all.csv.meta" "$d/hv.csv.meta" 2>/dev/null
	echo "hv_device_irqs=$irqs" >>"$d/meta.txt"
}

io_variant_meta() {
	local v=$1 d=$2 config=$3 load=$4 k
	{
		echo "variant=$v"
		echo "description=$(scn description "$v")"
		echo "experiment=io"
		echo "testbed=qemu-xen"
		echo "io.config=$config"
		echo "io.load=$load"
		echo "grid.row=$config"
		echo "grid.col=$load"
		for k in $(printf '%s\n' "${!S[@]}" | grep -E '^(latency|period|span)\.[0-9]+$' | sort); do
			echo "$k=${S[$k]}"
		done
		[ -n "${S[hist_bin_cycles]-}" ] && echo "hist_bin_cycles=${S[hist_bin_cycles]}"
		[ -n "${S[join_window]-}" ] && echo "join_window_us=$(ns_to_us "${S[join_window]}")"
		echo "io.reps=$(io_n io.reps 2 "$v")"
		echo "dd.size_bytes=$(io_n dd.size 8388608 "$v")"
		echo "dd.block_bytes=$(io_n dd.block 1048576 "$v")"
		echo "iperf.seconds=$(( $(io_n iperf.time 3000000000 "$v") / 1000000000 ))"
		echo "iperf.direction=$(io_n iperf.direction receive "$v")"
		[ "$load" = cpu ] && echo "load.cpu=stress-ng --cpu $(io_n stress.workers 2 "$v") in the neighbour domain (2 vCPUs on pCPUs 0-1)"
		[ "$load" = io ] && echo "load.io=nt-flood --backend qemu into NIC C (dom0 bridges it to the neighbour's netfront), flood.rate $(io_n flood.rate off "$v"), $(io_n flood.size 1472 "$v")-byte UDP payload"
		echo "started=$(stamp)"
	} >"$d/meta.txt"
}

# io_flood_start V DIR: the I/O load, nt-flood from the host into NIC C's
# socket netdev (scn_flood_args maps the flood's keys; the back end is always
# qemu here); what it sent goes to DIR/flood.meta.
io_flood_start() {
	local v=$1 d=$2 fa i
	mapfile -t fa < <(scn_flood_args "$v")
	[ ${#fa[@]} -gt 0 ] || { echo "flood.rate is off: no I/O load" >"$d/flood.log"; return 1; }
	for i in "${!fa[@]}"; do
		[ "${fa[i]}" = --backend ] && fa[i + 1]=qemu
	done
	fa+=(--qemu "$IO_PORT_C" --dst-mac "$IO_MAC_NBR_PV" --dst "$IO_IP_NBR:9" --src "$IO_IP_FLOOD"
		--duration 7200 --meta "$d/flood.meta" --quiet)
	bg_start flood "$d/flood.log" "$bindir/nt-flood" "${fa[@]}"
	sleep 1
	kill -0 "${BG_PID[flood]}" 2>/dev/null || { bg_stop flood; return 1; }
}

tb_variant() {
	local v=$1 d=$2 config load reps rc=0
	cur_variant=$v
	config=$(io_n io.config native "$v"); load=$(io_n io.load none "$v"); reps=$(io_n io.reps 2 "$v")
	io_variant_meta "$v" "$d" "$config" "$load"
	IO_EXPECT=$(tb_variant_seconds "$v")
	if [ -n "${IO_CONFIG_FAILED[$config]-}" ]; then
		echo "failure=configuration $config could not be set up: ${IO_CONFIG_FAILED[$config]}" >>"$d/meta.txt"
		say "$PROG: $VLABEL: configuration $config could not be set up earlier: not measured"
		return 1
	fi
	if [ "$load" != none ] && [ -n "$IO_NBR_FAILED" ]; then
		echo "failure=no neighbour domain for the $load load: $IO_NBR_FAILED" >>"$d/meta.txt"
		say "$PROG: $VLABEL: no neighbour domain ($IO_NBR_FAILED): not measured"
		return 1
	fi
	if [ "$config" != "$IO_PREV_CONFIG" ]; then
		say "$PROG: $VLABEL: switching the machine to $config"
		local try why=
		for try in 1 2; do
			io_dom0 "config-$config" 1200 config "$config"
			rc=$?
			[ $rc = 0 ] && break
			why=$(grep -m1 "FAILED" "$(ls -t "$run_dir/testbed/"*"-config-$config.log" | head -n 1)" 2>/dev/null |
				sed 's/^nt-io: FAILED: //')
			[ -n "$why" ] || why="the dom0 job ended with status $rc"
			# once more: a step of the emulated machine may fail now and then
			# (a tool that crashes); the config job starts by undoing the last one
			[ $try = 1 ] && { say "$PROG: $VLABEL: setting up $config failed ($why), once more";
				echo "config_retry=$why" >>"$d/meta.txt"; }
		done
		IO_PREV_CONFIG=$config
		if [ $rc != 0 ]; then
			IO_CONFIG_FAILED[$config]=$why
			echo "failure=configuration $config could not be set up: $why" >>"$d/meta.txt"
			say "$PROG: $VLABEL: configuration $config could not be set up: $why"
			IO_PREV_CONFIG=failed
			return 1
		fi
	fi
	if [ "$load" = io ] && ! io_flood_start "$v" "$d"; then
		echo "failure=the flood generator did not start (flood.log)" >>"$d/meta.txt"
		say "$PROG: $VLABEL: nt-flood did not start (see $d/flood.log)"
		return 1
	fi
	rm -f "$IO_WORK/share/stop-cell"
	local bound=$(( IO_EXPECT * 4 + 300 ))
	io_dom0 "cell-$v" "$bound" cell "$v" "$config" "$load"
	rc=$?
	if [ -n "${BG_PID[flood]-}" ]; then
		bg_stop flood
		echo "exit_flood=$?" >>"$d/meta.txt"
	fi
	mkdir -p "$d/raw"
	cp -r "$IO_WORK/share/cells/$v/." "$d/raw/" 2>/dev/null
	io_check_records "$d"
	local f
	for f in guest-dom0.csv guest-domu.csv; do
		[ -f "$d/raw/$f" ] && mv "$d/raw/$f" "$d/$f" && { mv "$d/raw/$f.meta" "$d/$f.meta" 2>/dev/null || true; }
	done
	io_hv_filter "$d" || say "$PROG: $VLABEL: no hypervisor records (see $d/raw/hv.log)"
	if ls "$d"/raw/rep-*-*.txt >/dev/null 2>&1; then
		io_results "$d" "$reps" >>"$d/meta.txt"
	fi
	{
		echo "workload_retries=$(sed -n 's/^retries=//p' "$d/raw/cell.txt" 2>/dev/null)"
		echo "finished=$(stamp)"
		echo "exit_cell_job=$rc"
	} >>"$d/meta.txt"
	if [ $rc != 0 ]; then
		local why
		why=$(sed -n 's/^failed=//p' "$d/raw/cell.txt" 2>/dev/null)
		echo "failure=${why:-the cell's dom0 job ended with status $rc}" >>"$d/meta.txt"
		say "$PROG: $VLABEL: ${why:-the cell's dom0 job ended with status $rc} (see $run_dir/testbed/)"
	fi
	return $rc
}

tb_variant_summary() {
	local d=$2
	awk -F= '$1 ~ /^result\.(dd_write|dd_read|iperf3)\.[0-9]+$/ && $2 != "failed" {
			split($1, p, "."); s[p[2]] += $2; n[p[2]]++ }
		END { if (n["dd_write"] + n["dd_read"] + n["iperf3"] == 0) exit
			printf " (means: dd write %.3g s, dd read %.3g s, iperf3 %.3g Mbit/s; emulated)",
				n["dd_write"] ? s["dd_write"] / n["dd_write"] : 0, n["dd_read"] ? s["dd_read"] / n["dd_read"] : 0,
				n["iperf3"] ? s["iperf3"] / n["iperf3"] : 0 }' "$d/meta.txt" 2>/dev/null
}
