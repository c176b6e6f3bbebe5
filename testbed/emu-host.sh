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
#   emu-host.sh start STATE [XEN_ARGS]  build the image (cached), boot, return at
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
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/emu.sh"
PROG=emu-host.sh
die() { echo "$PROG: $*" >&2; exit 1; }
[ $# -ge 2 ] || { echo "usage: emu-host.sh start|reboot|stop STATE [XEN_ARGS]" >&2; exit 2; }
cmd=$1 st=$2

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
	emu_boot "$st/boot-$n" --xen "$(cat "$st/xen")" --xen-args "$1" --kernel "$(cat "$st/kernel")" \
		--initrd "$st/image" --iommu --ssh "$port" --timeout "${NT_EMU_HOST_TIMEOUT:-1800}" \
		--nic "model=e1000e,port=$nicp,addr=0x3,mac=52:54:00:12:34:03"
	echo "$EMU_QPID" >"$st/qemu.pid"
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
	emu_overlay "$EMU_IMAGE" "$st/overlay" "$st/image" || die "cannot add the overlay"
	port=$(emu_ports 1) || die "no free port for ssh"
	echo "$port" >"$st/port"
	echo "[127.0.0.1]:$port $hk" >"$st/known_hosts"
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
	boot "${3:-}" ;;
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
