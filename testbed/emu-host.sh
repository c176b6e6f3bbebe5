#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# emu-host.sh: the emulated testbed as a remote Xen host for the hosts
# testbed's tests: the patched Xen with a PV dom0 under QEMU TCG whose only
# way in is ssh (testbed/ssh-overlay.sh; QEMU forwards 127.0.0.1:PORT to
# dom0's port 22).  QEMU boots Xen directly, not through GRUB, so a "reboot"
# is this script restarting QEMU with the boot entry's Xen options: the
# inventory's xen.reboot_hook (docs/hosts.md) points at a wrapper calling
# `emu-host.sh reboot STATE`, and the runner gives the options in NT_XEN_ARGS.
#
#   emu-host.sh start [--taps EVAL,LOAD] [--guest] STATE [XEN_ARGS]
#                                       build the image (cached), boot, return at
#                                       once (QEMU runs on, bounded by NT_EMU_HOST_TIMEOUT
#                                       s, default 1800); STATE/ssh_config names
#                                       the host "nt-emu-xen"
#   emu-host.sh reboot STATE            power off (as `reboot` would), boot again
#                                       with $NT_XEN_ARGS
#   emu-host.sh stop STATE              power off; QEMU is gone when it returns
# The machine: q35, VT-d (iommu=1), 2 vCPUs, an e1000e at 0000:00:03.0 on a
# socket netdev (a device for natsume=), the control NIC.  Each boot's
# serial log is STATE/boot-N/serial.log, its Xen options boot-N/xen-args;
# STATE/boots counts the boots.
# --taps EVAL,LOAD: the e1000e (MAC 52:54:00:12:34:03) is on the tap device
#   EVAL and an e1000 (MAC 52:54:00:12:34:31) at 0000:00:03.1 on the tap LOAD:
#   two functions of one slot, sharing its INTA line (the papers' load NIC).
#   The taps must exist (in a network namespace of the caller's).
# --guest: the evaluation guest's files on the host, as a real host keeps
#   them: a read-only share seen by dom0 as /mnt/tools with the domU kernel,
#   its image (testbed/mkimage.sh domu + an ssh server, ssh-overlay.sh
#   --guest) and its xl config /mnt/tools/nt-eval.cfg (a template: the runner
#   adds the passthrough NIC and the pinning).  The guest reaches dom0 on a
#   vif (dom0 192.0.2.129/25, the guest 192.0.2.130/25); STATE/ssh_config
#   names it "nt-emu-guest", reached through dom0 (ProxyCommand).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/emu.sh"
PROG=emu-host.sh
die() { echo "$PROG: $*" >&2; exit 1; }
usage() { echo "usage: emu-host.sh start [--taps EVAL,LOAD] [--guest] STATE [XEN_ARGS] | reboot STATE | stop STATE" >&2; exit 2; }
[ $# -ge 2 ] || usage
cmd=$1
shift
taps="" guest=0
if [ "$cmd" = start ]; then
	while [ $# -gt 0 ]; do
		case "$1" in
		--taps) [ $# -ge 2 ] || usage; taps=$2; shift 2 ;;
		--guest) guest=1; shift ;;
		-*) usage ;;
		*) break ;;
		esac
	done
fi
[ $# -ge 1 ] || usage
st=$1
shift

qpid() { cat "$st/qemu.pid" 2>/dev/null; }
alive() { local p; p=$(qpid); [ -n "$p" ] && kill -0 "$p" 2>/dev/null; }

stop() {
	alive || return 0
	local p i n
	p=$(qpid)
	# the share's agent powers dom0 off (poweroff -f: QEMU ends, as after a reboot with -no-reboot)
	n=$(cat "$st/boots" 2>/dev/null || echo 0)
	mkdir -p "$st/boot-$n/jobs" && touch "$st/boot-$n/jobs/poweroff"
	for ((i = 0; i < 150; i++)); do kill -0 "$p" 2>/dev/null || break; sleep 0.2; done
	if kill -0 "$p" 2>/dev/null; then
		kill -TERM "$p" 2>/dev/null
		for ((i = 0; i < 50; i++)); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null
	fi
	rm -f "$st/qemu.pid"
}

boot() { # XEN_ARGS
	local n port nicp
	[ -f "$st/image" ] || die "no image in $st: run 'start' first"
	n=$(( $(cat "$st/boots" 2>/dev/null || echo 0) + 1 ))
	echo "$n" >"$st/boots"
	port=$(cat "$st/port")
	nicp=$(emu_ports 1) || die "no free port for the NIC"
	# Each boot's folder is its 9p share: this script's power switch only (the
	# runner reaches the host by ssh), and its serial log.
	mkdir -p "$st/boot-$n"
	echo "$1" >"$st/boot-$n/xen-args"
	local nics=(--nic "model=e1000e,port=$nicp,addr=0x3,mac=52:54:00:12:34:03") t=()
	if [ -s "$st/taps" ]; then
		IFS=, read -r -a t <"$st/taps"
		nics=(--nic "model=e1000e,tap=${t[0]},addr=0x3.0,mac=52:54:00:12:34:03,multifunction"
			--nic "model=e1000,tap=${t[1]},addr=0x3.1,mac=52:54:00:12:34:31")
	fi
	[ -d "$st/tools" ] && nics+=(--tools "$st/tools")
	emu_boot "$st/boot-$n" --xen "$(cat "$st/xen")" --xen-args "$1" --kernel "$(cat "$st/kernel")" \
		--initrd "$st/image" --iommu --ssh "$port" --timeout "${NT_EMU_HOST_TIMEOUT:-1800}" "${nics[@]}"
	echo "$EMU_QPID" >"$st/qemu.pid"
}

# guest_files: STATE/tools, the evaluation guest's kernel, image and template
guest_files() {
	local ghk base
	emu_image domu || return 1
	base=$EMU_IMAGE
	emu_vmlinux || return 1
	rm -rf "$st/tools" "$st/goverlay"
	mkdir -p "$st/tools"
	ghk=$("$here/ssh-overlay.sh" --guest "$st/goverlay" "$st/id.pub") || return 1
	emu_overlay "$base" "$st/goverlay" "$st/tools/domu.cpio.gz" || return 1
	ln "$EMU_VMLINUX" "$st/tools/vmlinux" 2>/dev/null || cp "$EMU_VMLINUX" "$st/tools/vmlinux" || return 1
	cp "$here/steps/vif-nt.sh" "$st/tools/" || return 1
	cat >"$st/tools/nt-eval.cfg" <<EOF
# The evaluation guest of the emulated host (testbed/emu-host.sh --guest)
name = "nt-eval"
type = "pv"
kernel = "/mnt/tools/vmlinux"
ramdisk = "/mnt/tools/domu.cpio.gz"
extra = "console=hvc0 loglevel=4 nt.ip=192.0.2.130/25 nt.mac=00:16:3e:4e:54:02"
memory = 192
vif = [ 'mac=00:16:3e:4e:54:02,script=/mnt/tools/vif-nt.sh' ]
on_crash = "preserve"
EOF
	echo "192.0.2.130 $ghk" >>"$st/known_hosts"
}

case "$cmd" in
start)
	mkdir -p "$st" || die "cannot create $st"
	st=$(cd "$st" && pwd)
	alive && die "a machine of $st still runs (pid $(qpid))"
	emu_xen_patched || die "no patched Xen: $EMU_WHY"
	echo "$EMU_XEN" >"$st/xen"
	emu_image dom0 || die "cannot build the dom0 image"
	echo "$EMU_KERNEL" >"$st/kernel"
	[ -f "$st/id" ] || ssh-keygen -q -t ed25519 -N '' -f "$st/id" || die "ssh-keygen failed"
	hk=$("$here/ssh-overlay.sh" "$st/overlay" "$st/id.pub") || die "cannot build the ssh overlay"
	[ $guest = 1 ] && printf 'echo 192.0.2.129/25 >/run/nt-vif-ip\n' >"$st/overlay/etc/nt/boot.d/40-vif-ip.sh"
	emu_overlay "$EMU_IMAGE" "$st/overlay" "$st/image" || die "cannot add the overlay"
	rm -f "$st/taps"; [ -z "$taps" ] || printf '%s\n' "$taps" >"$st/taps"
	port=$(emu_ports 1) || die "no free port for ssh"
	echo "$port" >"$st/port"
	echo "[127.0.0.1]:$port $hk" >"$st/known_hosts"
	if [ $guest = 1 ]; then guest_files || die "cannot build the guest's files"; fi
	cat >"$st/ssh_config" <<EOF
Host nt-emu-xen
  HostName 127.0.0.1
  Port $port
  User root
  IdentityFile $st/id
  IdentitiesOnly yes
  UserKnownHostsFile $st/known_hosts
  StrictHostKeyChecking yes
  LogLevel ERROR
EOF
	[ $guest = 1 ] && cat >>"$st/ssh_config" <<EOF
Host nt-emu-guest
  HostName 192.0.2.130
  User root
  IdentityFile $st/id
  IdentitiesOnly yes
  UserKnownHostsFile $st/known_hosts
  StrictHostKeyChecking yes
  ProxyCommand ssh -F $st/ssh_config -o BatchMode=yes -W %h:%p nt-emu-xen
  LogLevel ERROR
EOF
	boot "${1:-}" ;;
reboot)
	st=$(cd "$st" && pwd) || exit 1
	stop
	boot "${NT_XEN_ARGS-}" ;;
stop)
	st=$(cd "$st" && pwd) || exit 0
	stop
	exit 0 ;;
*) echo "usage: emu-host.sh start|reboot|stop STATE [XEN_ARGS]" >&2; exit 2 ;;
esac
