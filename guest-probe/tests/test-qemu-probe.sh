#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 600
#
# End-to-end test of the guest probe in a real Linux guest: Debian's 6.1
# kernel under QEMU TCG on the emulated testbed (testbed/): its plain image
# (busybox-static, the NIC and 9p modules of that kernel) plus
# nt_guest_probe.ko and static nt-guest-read and nt-busyloop, an e1000e
# (MSI-X) and two e1000 functions sharing one INTx line, frames with the nt
# payload sent from the host into QEMU socket netdevs (loopback UDP only).
# The guest runs qemu-guest-job.sh as its job (testbed/init); qemu-check.py
# checks what it wrote into the 9p share: every packet's interrupt stamped
# with the right seq (MSI-X and shared INTx), no packet stamp before the
# interrupt stamp it is tied to, a flood on the shared line stamped once per
# interrupt (against /proc/interrupts), overflow of a small ring counted
# exactly, timer stamps, bad parameters refused, and unload/reload under a
# flood leaving dmesg clean.
# Set NT_KEEP=1 to keep the work folder.  NT_GP_MODE=xen-dom0 runs the same
# guest as Xen's PV dom0 (Debian's stock Xen 4.17 hypervisor), see
# test-qemu-xen-dom0.sh.
set -euo pipefail
mode=${NT_GP_MODE:-native}
case "$mode" in native|xen-dom0) ;; *) echo "FAIL: NT_GP_MODE=$mode is not native or xen-dom0"; exit 2 ;; esac
top=${NT_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
gp=$top/guest-probe
here=$gp/tests
skip() { echo "SKIP: $*"; exit 77; }
die() { echo "FAIL: $*" >&2; exit 1; }

command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 not installed (guest-probe/deps.txt)"
for t in cpio gzip python3 modinfo; do command -v $t >/dev/null || skip "$t not installed"; done
. "$top/testbed/emu.sh"

# ---- kernel (headers and image of one version), module, static programs
if ! "$gp/scripts/kver.sh" --installed >/dev/null 2>&1 && [ "$(id -u)" -ne 0 ]; then
	skip "kernel headers missing and not root (run guest-probe/scripts/get-kernel.sh as root)"
fi
read -r kver img < <("$gp/scripts/get-kernel.sh") || die "cannot get the guest kernel (see above)"
if ! out=$(make -s -C "$gp" SAN=0 module guest-bins 2>&1); then
	echo "$out" >&2
	die "cannot build the module or the guest programs"
fi
ko=$top/build/rel/modules/$kver/nt_guest_probe.ko
[ -f "$ko" ] || die "no module at $ko"
emu_image plain || die "testbed/mkimage.sh plain failed"
[ "$EMU_KERNEL" = "$img/boot/vmlinuz-$kver" ] || die "image kernel $EMU_KERNEL is not $kver"
boot=()
if [ "$mode" = xen-dom0 ]; then
	emu_xen_stock || die "$EMU_WHY"
	# Xen boots the guest kernel as its PV dom0
	boot=(--xen "$EMU_XEN" --dom0-mem 400 --mem 640)
else
	boot=(--mem 512)
fi

work=$(mktemp -d /tmp/nt-guest-probe-qemu.XXXXXX)
share=$work/share
mkdir -p "$share" "$work/root/bin"
fpids=()
cleanup() {
	for p in "${fpids[@]}"; do kill "$p" 2>/dev/null || true; done
	emu_kill
	if [ "${NT_KEEP:-0}" = 1 ]; then echo "work folder kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- the image: the testbed's plain image plus the module and the programs
cp "$ko" "$work/root/nt_guest_probe.ko"
cp "$top/build/guest/bin/nt-guest-read" "$top/build/guest/bin/nt-busyloop" "$top/build/guest/bin/ntgp-block" \
	"$work/root/bin/"
emu_overlay "$EMU_IMAGE" "$work/root" "$work/initrd.gz" || die "cannot pack the image"
cp "$here/qemu-guest-job.sh" "$share/job.sh"

# ---- network plumbing: one loopback UDP port per NIC
read -r LE LA LB < <(emu_ports 3) || die "no free UDP ports"
MAC_E=52:54:00:00:0e:01 MAC_A=52:54:00:00:0a:01 MAC_B=52:54:00:00:0b:01
cat >"$share/config" <<EOF
MAC_E=$MAC_E
MAC_A=$MAC_A
MAC_B=$MAC_B
MODE=$mode
EOF

start=$(date +%s)
emu_boot "$share" "${boot[@]}" --kernel "$EMU_KERNEL" --initrd "$work/initrd.gz" --timeout 600 \
	--nic "model=e1000e,port=$LE,addr=0x8,mac=$MAC_E" \
	--nic "model=e1000,port=$LA,addr=0x9.0,mac=$MAC_A,multifunction" \
	--nic "model=e1000,port=$LB,addr=0x9.1,mac=$MAC_B"

fail_guest() {
	echo "FAIL: $*" >&2
	echo "--- guest console (everything after boot, at most 400 lines)" >&2
	tail -n 400 "$share/serial.log" >&2 || true
	echo "--- qemu" >&2
	tail -n 5 "$share/qemu.out" >&2 || true
	[ -f "$share/guest.log" ] && { echo "--- guest.log" >&2; cat "$share/guest.log" >&2; }
	exit 1
}
wait_guest() { # FILE SECONDS
	local i=0
	while [ ! -e "$share/$1" ]; do
		emu_alive || fail_guest "QEMU exited before the guest wrote $1"
		[ -e "$share/all-done" ] && fail_guest "guest gave up before $1"
		i=$((i + 1))
		[ $i -gt $(($2 * 5)) ] && fail_guest "timeout (${2}s) waiting for the guest's $1"
		sleep 0.2
	done
}
send() { python3 "$top/testbed/frames.py" "$@"; }

# phase 1: periodic frames to the MSI-X NIC and to one function of the shared
# line, then the same during a flood on the line's other function
wait_guest ready-p1 300
echo "guest ready after $(($(date +%s) - start)) s; info: $(tr '\n' ' ' <"$share/info")"
send periodic --to "$LE,$MAC_E,0" --to "$LA,$MAC_A,100000" --count 150 --interval-ms 20 --run-id 0x51
send flood --to "$LB,$MAC_B,500000" --count 40000 --max-seconds 5 --run-id 0x52 &
fpids+=($!)
send periodic --to "$LE,$MAC_E,1000" --to "$LA,$MAC_A,101000" --count 100 --interval-ms 20 --run-id 0x51
wait "${fpids[@]}"
fpids=()
sleep 1
touch "$share/sent-p1"

# phase 2: a burst into a 16-record ring
wait_guest ready-p2 120
send periodic --to "$LE,$MAC_E,2000" --to "$LA,$MAC_A,102000" --count 150 --interval-ms 2 --run-id 0x51
sleep 1
touch "$share/sent-p2"

# phase 3 runs on its own (timers)
wait_guest done-p3 180

# phase 4: flood all three NICs while the guest unloads and reloads the module
wait_guest ready-p4 60
# Paced at 12,000 frames/s for the whole unload/reload sequence: an unpaced flood
# (65-90k frames/s) now and then left the TCG guest stuck in kernel text
# patching (tracepoint static keys, text_poke_bp_batch waiting for the other
# vCPU's IPI answer) during insmod/rmmod; see guest-probe/README.md.
send flood --to "$LE,$MAC_E,3000000" --to "$LA,$MAC_A,4000000" --to "$LB,$MAC_B,5000000" \
	--count 300000 --max-seconds 25 --pps 12000 --run-id 0x53 &
fpids+=($!)
sleep 0.5
touch "$share/flooding-p4"
wait_guest done-p4 180
kill "${fpids[@]}" 2>/dev/null || true
wait "${fpids[@]}" 2>/dev/null || true
fpids=()
wait_guest all-done 60
emu_poweroff 20 || true
echo "guest finished after $(($(date +%s) - start)) s"
[ -f "$share/guest.log" ] && cat "$share/guest.log"
python3 "$here/qemu-check.py" "$share" "$mode" || fail_guest "checks failed"
