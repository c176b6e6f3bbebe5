#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# ssh-overlay.sh: the files that make a testbed machine an ssh server, as an
# overlay folder for `mkimage.sh overlay` (testbed/README.md): Debian's
# dropbear (unpacked with scripts/fetch-deb.sh, never installed on the host)
# with its libraries, a fresh host key, root's authorized key, and the boot
# hook /etc/nt/boot.d/50-sshd.sh that brings the control NIC up and starts
# dropbear on port 22.  The control NIC is the one qemu.sh --ssh adds (QEMU
# user networking, the address below, the host's 127.0.0.1:PORT forwarded
# to port 22); nothing but that forwarded port reaches it.  Xen's tools are
# linked into /usr/sbin, where they are on a Debian dom0.
#
#   ssh-overlay.sh [--guest] DIR AUTHORIZED_KEY.pub
# --guest: for a domU: the hook brings up its link to dom0 from its kernel
# command line (nt.ip=ADDR/LEN nt.mac=MAC) instead of the control NIC.
# Prints the host key's public line (for a known_hosts file) on stdout.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
PROG=ssh-overlay
die() { echo "$PROG: $*" >&2; exit 1; }
guest=0
[ "${1:-}" = --guest ] && { guest=1; shift; }
[ $# -eq 2 ] && [ -f "$2" ] || { echo "usage: ssh-overlay.sh [--guest] DIR AUTHORIZED_KEY.pub" >&2; exit 2; }
out=$1 key=$2
mapfile -t d < <("$top/scripts/fetch-deb.sh" dropbear-bin libtomcrypt1 libtommath1) || die "cannot fetch dropbear-bin"
[ ${#d[@]} -eq 3 ] || die "scripts/fetch-deb.sh failed"
rm -rf "$out"
mkdir -p "$out/usr/sbin" "$out/lib/x86_64-linux-gnu" "$out/etc/dropbear" "$out/etc/nt/boot.d" "$out/root/.ssh"
cp "${d[0]}/usr/sbin/dropbear" "$out/usr/sbin/"
cp -L "${d[1]}"/usr/lib/x86_64-linux-gnu/libtomcrypt.so.1 "${d[2]}"/usr/lib/x86_64-linux-gnu/libtommath.so.1 \
	"$out/lib/x86_64-linux-gnu/"
# the rest of its libraries from the host (as mkimage.sh does for Xen's tools)
LD_LIBRARY_PATH=$out/lib/x86_64-linux-gnu ldd "${d[0]}/usr/sbin/dropbear" |
	awk '/=> \// { print $3 }' | while read -r l; do
	case "$l" in "$out"/*) ;; *) cp -L "$l" "$out/lib/x86_64-linux-gnu/" ;; esac
done
# and its ELF interpreter, at its own path (a domU image is busybox-static only)
interp=$(LD_LIBRARY_PATH=$out/lib/x86_64-linux-gnu ldd "${d[0]}/usr/sbin/dropbear" | awk '$1 ~ /^\// { print $1; exit }')
[ -n "$interp" ] || die "no ELF interpreter for dropbear"
mkdir -p "$out$(dirname "$interp")"
cp -L "$interp" "$out$interp"
LD_LIBRARY_PATH=${d[1]}/usr/lib/x86_64-linux-gnu:${d[2]}/usr/lib/x86_64-linux-gnu \
	"${d[0]}/usr/bin/dropbearkey" -t ed25519 -f "$out/etc/dropbear/dropbear_ed25519_host_key" 2>/dev/null |
	grep '^ssh-ed25519 ' | cut -d' ' -f1,2
install -m 600 "$key" "$out/root/.ssh/authorized_keys"
chmod 700 "$out/root" "$out/root/.ssh"
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$out/etc/passwd"
printf 'root:x:0:\n' >"$out/etc/group"
printf '/bin/sh\n' >"$out/etc/shells"
if [ $guest = 1 ]; then
	cat >"$out/etc/nt/boot.d/50-sshd.sh" <<'H'
# The domU's link to dom0 from its kernel command line (nt.ip=ADDR/LEN
# nt.mac=MAC: its netfront), and dropbear on port 22, public keys only.
. /etc/nt/lib.sh
ip=$(sed -n 's/.*nt\.ip=\([0-9./]*\).*/\1/p' /proc/cmdline)
mac=$(sed -n 's/.*nt\.mac=\([0-9a-f:]*\).*/\1/p' /proc/cmdline)
i=0
while ! ifc=$(nt_iface_of_mac "$mac") && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ -n "$ip" ] && [ -n "$ifc" ] || { nt_log "sshd: no link (nt.ip=$ip nt.mac=$mac)"; exit 1; }
ip addr add "$ip" dev "$ifc"
ip link set "$ifc" up
dropbear -s -R -p 22 -P /run/dropbear.pid -r /etc/dropbear/dropbear_ed25519_host_key ||
	{ nt_log "sshd: dropbear did not start"; exit 1; }
echo "nt-init: ssh server on $ifc $ip:22"
H
	exit 0
fi
cat >"$out/etc/nt/boot.d/50-sshd.sh" <<'H'
# The control NIC (qemu.sh --ssh: MAC 52:54:00:5e:00:16 on QEMU user
# networking 198.51.100.0/24) and dropbear on port 22, public keys only.
. /etc/nt/lib.sh
for t in /usr/lib/xen-4.17/bin/*; do
	[ -e "/usr/sbin/${t##*/}" ] || ln -s "$t" "/usr/sbin/${t##*/}"
done
ifc=$(nt_iface_of_mac 52:54:00:5e:00:16) || { nt_log "sshd: no control NIC"; exit 1; }
ip addr add 198.51.100.15/24 dev "$ifc"
ip link set "$ifc" up
ip route add default via 198.51.100.1 2>/dev/null
dropbear -s -R -p 22 -P /run/dropbear.pid -r /etc/dropbear/dropbear_ed25519_host_key ||
	{ nt_log "sshd: dropbear did not start"; exit 1; }
echo "nt-init: ssh server on $ifc 198.51.100.15:22"
H
