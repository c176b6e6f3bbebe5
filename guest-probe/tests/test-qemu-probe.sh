#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 600
#
# End-to-end test of the guest probe in a real Linux guest: Debian's 6.1
# kernel under QEMU TCG, an initramfs built here (busybox-static, the NIC and
# 9p modules of that kernel, nt_guest_probe.ko, static nt-guest-read and
# nt-busyloop), an e1000e (MSI-X) and two e1000 functions sharing one INTx
# line, frames with the nt payload sent from the host through
# `-netdev socket` (loopback UDP only).  The guest runs
# qemu-guest-init.sh; qemu-check.py checks what it wrote into the 9p share:
# every packet's interrupt stamped with the right seq (MSI-X and shared INTx),
# a flood on the shared line stamped once per interrupt (against
# /proc/interrupts), overflow of a small ring counted exactly, timer stamps,
# bad parameters refused, and unload/reload under a flood leaving dmesg clean.
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
bbdir=$("$top/scripts/fetch-deb.sh" busybox-static | tail -n1)
[ -x "$bbdir/bin/busybox" ] || die "no busybox in $bbdir"
vmlinuz=$img/boot/vmlinuz-$kver
mroot=$img/lib/modules/$kver
if [ "$mode" = xen-dom0 ]; then
	xendir=$("$top/scripts/fetch-deb.sh" xen-hypervisor-4.17-amd64 | tail -n1)
	xengz=$(ls "$xendir"/boot/xen-4.17*-amd64.gz 2>/dev/null | head -n1)
	[ -n "$xengz" ] || die "no xen-4.17 hypervisor in $xendir"
fi

work=$(mktemp -d /tmp/nt-guest-probe-qemu.XXXXXX)
share=$work/share
mkdir -p "$share" "$work/root"
qpid=
fpids=()
cleanup() {
	for p in "${fpids[@]}"; do kill "$p" 2>/dev/null || true; done
	if [ -n "$qpid" ] && kill -0 "$qpid" 2>/dev/null; then
		kill "$qpid" 2>/dev/null || true
		sleep 1
		kill -9 "$qpid" 2>/dev/null || true
	fi
	if [ "${NT_KEEP:-0}" = 1 ]; then echo "work folder kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- initramfs
r=$work/root
mkdir -p "$r/bin" "$r/lib/modules" "$r/proc" "$r/sys" "$r/dev" "$r/tmp" "$r/mnt/host"
cp "$bbdir/bin/busybox" "$r/bin/busybox"
cp "$here/qemu-guest-init.sh" "$r/init"
chmod +x "$r/init"
cp "$ko" "$r/nt_guest_probe.ko"
cp "$top/build/guest/bin/nt-guest-read" "$top/build/guest/bin/nt-busyloop" "$top/build/guest/bin/ntgp-block" \
	"$r/bin/"
declare -A seen=()
order=()
find_ko() {
	find "$mroot/kernel" \( -name "$1.ko" -o -name "${1//_/-}.ko" \) -print -quit
}
add_mod() {
	local m=$1 f d
	[ -n "${seen[$m]:-}" ] && return 0
	seen[$m]=1
	f=$(find_ko "$m")
	if [ -z "$f" ]; then
		grep -q -e "/$m.ko\$" -e "/${m//_/-}.ko\$" "$mroot/modules.builtin" && return 0
		die "module $m not found in $mroot"
	fi
	for d in $(modinfo -F depends "$f" | tr ',' ' '); do add_mod "$d"; done
	order+=("$f")
}
for m in e1000 e1000e virtio_pci 9pnet_virtio 9p; do add_mod "$m"; done
: >"$r/modules.list"
for f in "${order[@]}"; do
	cp "$f" "$r/lib/modules/"
	basename "$f" >>"$r/modules.list"
done
(cd "$r" && find . | cpio -o -H newc --quiet | gzip -1) >"$work/initrd.gz"

# ---- network plumbing: one loopback UDP port pair per NIC
read -r LE RE LA RA LB RB < <(python3 -c '
import socket
ss=[socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(6)]
for s in ss: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in ss])')
MAC_E=52:54:00:00:0e:01 MAC_A=52:54:00:00:0a:01 MAC_B=52:54:00:00:0b:01
cat >"$share/config" <<EOF
MAC_E=$MAC_E
MAC_A=$MAC_A
MAC_B=$MAC_B
MODE=$mode
EOF

kargs="panic=-1 loglevel=5 rdinit=/init"
if [ "$mode" = xen-dom0 ]; then
	# Xen is a multiboot kernel; dom0's kernel and initramfs are its modules
	# (their arguments must not contain commas).  smap=0 is needed with -cpu max.
	gunzip -c "$xengz" >"$work/xen"
	boot=(-kernel "$work/xen"
	      -append "console=com1 com1=115200,8n1 dom0_mem=400M,max:400M dom0_max_vcpus=2 smap=0 bootscrub=0 loglvl=all guest_loglvl=all"
	      -initrd "$vmlinuz console=hvc0 $kargs,$work/initrd.gz")
	mem=640
else
	boot=(-kernel "$vmlinuz" -initrd "$work/initrd.gz" -append "console=ttyS0 $kargs")
	mem=512
fi
start=$(date +%s)
qemu-system-x86_64 -accel tcg -machine q35 -cpu max -smp 2 -m $mem \
	-display none -monitor none -no-reboot -serial "file:$work/console.log" \
	"${boot[@]}" \
	-virtfs "local,path=$share,mount_tag=host,security_model=none,id=fs0" \
	-netdev "socket,id=ne,udp=127.0.0.1:$RE,localaddr=127.0.0.1:$LE" \
	-device "e1000e,netdev=ne,mac=$MAC_E,addr=0x8" \
	-netdev "socket,id=na,udp=127.0.0.1:$RA,localaddr=127.0.0.1:$LA" \
	-device "e1000,netdev=na,mac=$MAC_A,addr=0x9.0,multifunction=on" \
	-netdev "socket,id=nb,udp=127.0.0.1:$RB,localaddr=127.0.0.1:$LB" \
	-device "e1000,netdev=nb,mac=$MAC_B,addr=0x9.1" \
	>"$work/qemu.out" 2>&1 &
qpid=$!

fail_guest() {
	echo "FAIL: $*" >&2
	echo "--- guest console (everything after boot, at most 400 lines)" >&2
	tail -n 400 "$work/console.log" >&2 || true
	echo "--- qemu" >&2
	tail -n 5 "$work/qemu.out" >&2 || true
	[ -f "$share/guest.log" ] && { echo "--- guest.log" >&2; cat "$share/guest.log" >&2; }
	exit 1
}
wait_guest() { # FILE SECONDS
	local i=0
	while [ ! -e "$share/$1" ]; do
		kill -0 "$qpid" 2>/dev/null || fail_guest "QEMU exited before the guest wrote $1"
		[ -e "$share/all-done" ] && fail_guest "guest gave up before $1"
		i=$((i + 1))
		[ $i -gt $(($2 * 5)) ] && fail_guest "timeout (${2}s) waiting for the guest's $1"
		sleep 0.2
	done
}
send() { python3 "$here/qemu-frames.py" "$@"; }

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
for _ in $(seq 1 100); do kill -0 "$qpid" 2>/dev/null || break; sleep 0.2; done
echo "guest finished after $(($(date +%s) - start)) s"
[ -f "$share/guest.log" ] && cat "$share/guest.log"
python3 "$here/qemu-check.py" "$share" "$mode" || fail_guest "checks failed"
