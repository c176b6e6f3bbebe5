# SPDX-License-Identifier: GPL-2.0
# testbed/emu.sh: the host side of the emulated testbed, sourced by the
# runner's qemu-xen driver (scenarios/testbeds/qemu-xen.sh) and by every test
# that boots Xen or a guest under QEMU.  See testbed/README.md.
#
#   emu_ports N                  N free loopback UDP ports for --nic (P and P+1 free)
#   emu_image ROLE               EMU_IMAGE, EMU_KERNEL (testbed/mkimage.sh ROLE)
#   emu_vmlinux                  EMU_VMLINUX: the same kernel as an uncompressed ELF (nothing
#                                to decompress under emulation: Xen boots dom0 from it and
#                                libxc loads a domU from it 10-20 s faster)
#   emu_overlay IMAGE DIR OUT    OUT = IMAGE + the files of DIR (a second cpio, one gzip stream)
#   emu_xen_patched              EMU_XEN: $NT_XEN_IMAGE, else hv-probe/build-xen.sh's
#                                (built or cached); 1 + EMU_WHY when it cannot be had
#   emu_xen_stock                EMU_XEN: Debian's xen-hypervisor-4.17-amd64
#   emu_boot SHARE ARGS...       start testbed/qemu.sh ARGS in the background
#                                (EMU_QPID); its serial log is SHARE/serial.log
#   emu_alive                    QEMU still runs
#   emu_wait FILE SECONDS        0 when FILE exists, 1 after SECONDS, 2 when QEMU ended
#   emu_job NAME SECONDS FILE    run FILE (a script, - for stdin) through the agent of
#                                the machine's share; returns its exit status, 124 on
#                                timeout, 125 when QEMU ended first; EMU_JOB = its path
#                                without .sh (EMU_JOB.log is the output)
#   emu_job_start NAME FILE      the same without waiting; emu_job_wait SECONDS waits
#   emu_poweroff SECONDS         ask the agent to power off, wait; kill QEMU after
#                                SECONDS; returns QEMU's exit status (EMU_QRC)
#   emu_kill                     stop QEMU now (SIGTERM, then SIGKILL)
# Every wait is bounded; nothing here leaves a process behind once emu_kill or
# emu_poweroff returned.  Safe under `set -e` (failures are return values).

EMU_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
EMU_TB=$EMU_TOP/testbed
EMU_QPID="" EMU_SHARE="" EMU_QRC="" EMU_JOB="" EMU_WHY=""
EMU_NJOB=0

emu_ports() {
	local want=$1 got=() p tries=0 used
	used=$(ss -Hlun 2>/dev/null | awk '{ n = split($4, a, ":"); print a[n] }')
	while [ ${#got[@]} -lt "$want" ] && [ $tries -lt 1000 ]; do
		tries=$((tries + 1))
		p=$(( (RANDOM % 15000) * 2 + 30000 ))
		case " ${got[*]} " in *" $p "*|*" $((p - 1)) "*|*" $((p + 1)) "*) continue ;; esac
		printf '%s\n' "$used" | grep -qx -e "$p" -e "$((p + 1))" && continue
		got+=("$p")
	done
	[ ${#got[@]} -eq "$want" ] || return 1
	echo "${got[*]}"
}

emu_image() {
	local out
	out=$("$EMU_TB/mkimage.sh" "$1") || return 1
	EMU_IMAGE=$(sed -n 1p <<<"$out")
	EMU_KERNEL=$(sed -n 2p <<<"$out")
	[ -f "$EMU_IMAGE" ] && [ -f "$EMU_KERNEL" ]
}

emu_vmlinux() {
	EMU_VMLINUX=$("$EMU_TB/mkimage.sh" vmlinux) && [ -f "$EMU_VMLINUX" ]
}

# One gzip stream of the two cpio archives, not two gzip members: Xen's PV
# domain builder (libxc) gunzips a domU's ramdisk itself when the size in
# the gzip trailer looks plausible, and zlib stops at the end of the first
# member, so a domU silently lost the overlay of a two-member image whenever
# the overlay was large (8 MB: its trailer size passed libxc's check).
emu_overlay() {
	local img=$1 dir=$2 out=$3
	"$EMU_TB/mkimage.sh" overlay "$dir" "$out.ovl" || return 1
	{ gzip -dc "$img" && gzip -dc "$out.ovl"; } | gzip -1 >"$out.tmp" && mv "$out.tmp" "$out" &&
		rm -f "$out.ovl"
}

emu_xen_patched() {
	EMU_WHY=""
	if [ -n "${NT_XEN_IMAGE:-}" ]; then
		EMU_XEN=$NT_XEN_IMAGE
		[ -f "$EMU_XEN" ] || { EMU_WHY="NT_XEN_IMAGE=$EMU_XEN does not exist"; return 1; }
		return 0
	fi
	local log=${NT_BUILD_TOP:-$EMU_TOP/build}/testbed/build-xen.log
	mkdir -p "$(dirname "$log")"
	if ! "$EMU_TOP/hv-probe/build-xen.sh" >"$log" 2>&1; then
		if grep -q "apt-get source\|apt-get update" "$log"; then
			EMU_WHY="cannot fetch Debian's Xen source package (see $log)"
		else
			EMU_WHY="hv-probe/build-xen.sh failed (see $log)"
		fi
		return 1
	fi
	EMU_XEN=$EMU_TOP/build/xen/out/xen
}

emu_xen_stock() {
	local d
	d=$("$EMU_TOP/scripts/fetch-deb.sh" xen-hypervisor-4.17-amd64 2>/dev/null | tail -n1)
	EMU_XEN=$(ls "$d"/boot/xen-4.17*-amd64.gz 2>/dev/null | head -n1)
	[ -n "$EMU_XEN" ] || { EMU_WHY="cannot fetch xen-hypervisor-4.17-amd64"; return 1; }
}

emu_boot() {
	EMU_SHARE=$1
	shift
	EMU_QRC="" EMU_NJOB=0
	mkdir -p "$EMU_SHARE"
	rm -f "$EMU_SHARE/agent.ready" "$EMU_SHARE/jobs/poweroff"
	"$EMU_TB/qemu.sh" --share "$EMU_SHARE" --log "$EMU_SHARE/serial.log" "$@" \
		>"$EMU_SHARE/qemu.out" 2>&1 &
	EMU_QPID=$!
}

emu_alive() { [ -n "$EMU_QPID" ] && kill -0 "$EMU_QPID" 2>/dev/null; }

# reap QEMU's exit status once it ended (EMU_QRC)
emu_reap() {
	[ -n "$EMU_QPID" ] || return 0
	EMU_QRC=0
	wait "$EMU_QPID" 2>/dev/null || EMU_QRC=$?
	EMU_QPID=""
}

emu_wait() {
	local f=$1 s=$2 i=0
	while [ ! -e "$f" ]; do
		emu_alive || { [ -e "$f" ] && return 0; return 2; }
		[ $i -ge $((s * 5)) ] && return 1
		sleep 0.2
		i=$((i + 1))
	done
	return 0
}

emu_job_start() {
	local name=$1 src=$2
	EMU_NJOB=$((EMU_NJOB + 1))
	mkdir -p "$EMU_SHARE/jobs"
	EMU_JOB=$EMU_SHARE/jobs/$(printf '%03d' "$EMU_NJOB")-$name
	if [ "$src" = - ]; then cat >"$EMU_JOB.tmp"; else cp "$src" "$EMU_JOB.tmp"; fi
	mv "$EMU_JOB.tmp" "$EMU_JOB.sh"
}

emu_job_wait() {
	emu_wait "$EMU_JOB.rc" "$1"
	case $? in
	0) return "$(cat "$EMU_JOB.rc")" ;;
	1) return 124 ;;
	*) return 125 ;;
	esac
}

emu_job() {
	emu_job_start "$1" "$3"
	emu_job_wait "$2"
}

emu_kill() {
	[ -n "$EMU_QPID" ] || return 0
	kill -TERM "$EMU_QPID" 2>/dev/null
	local i
	for ((i = 0; i < 50; i++)); do emu_alive || break; sleep 0.1; done
	emu_alive && kill -KILL "$EMU_QPID" 2>/dev/null
	emu_reap
}

emu_poweroff() {
	local s=$1 i
	[ -n "$EMU_QPID" ] || return "${EMU_QRC:-0}"
	[ -n "$EMU_SHARE" ] && mkdir -p "$EMU_SHARE/jobs" && touch "$EMU_SHARE/jobs/poweroff"
	for ((i = 0; i < s * 5; i++)); do emu_alive || break; sleep 0.2; done
	if emu_alive; then
		emu_kill
		EMU_QRC=124
	else
		emu_reap
	fi
	return "$EMU_QRC"
}
