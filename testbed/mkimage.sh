#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# mkimage.sh: the initramfs images of the emulated testbed, from Debian's own
# binaries, fetched with scripts/fetch-deb.sh and never installed on the host.
#
#   mkimage.sh ROLE            print the image of ROLE and its kernel (2 lines)
#   mkimage.sh vmlinux         print the kernel as an uncompressed ELF (for domUs)
#   mkimage.sh overlay DIR OUT pack DIR as a gzip'ed cpio OUT, to be appended to
#                              an image (cat IMAGE OUT > NEW: the kernel unpacks
#                              concatenated archives in order, later files win)
#   mkimage.sh extras DIR [--mods "M..."] [BIN...]
#                              add to overlay folder DIR kernel modules M of the
#                              guest kernel with their dependencies (the job
#                              loads them: nt_modload M) and host programs BIN
#                              (absolute paths, e.g. /usr/bin/iperf3) with the
#                              shared libraries they need
# ROLE:
#   dom0   Xen's PV dom0: the Xen tools (xl, xenstored, xen-init-dom0,
#          xenconsoled, xentrace, xenstore-*) with their libraries, the Xen
#          back-end drivers (pciback, netback, blkback), e1000, 9p, and the
#          hotplug scripts libxl runs for a domU's phy: disks and vifs
#          (testbed/xen-scripts/: block, vif-bridge); e1000e is in the image
#          for a job that wants it (the device to pass through stays
#          unbound, and dom0 boots faster)
#   domu   a minimal PV domU: busybox, xen-pcifront and xen-netfront; the NIC
#          drivers (e1000e, e1000) are in the image but loaded by the job, so
#          that it can choose their parameters (e.g. e1000e IntMode=0)
#   plain  a plain Linux guest (no Xen): e1000, e1000e, virtio-pci, 9p
# Every image has busybox-static, testbed/init as /init, testbed/guest-lib.sh
# as /etc/nt/lib.sh, and the kernel modules in load order in /etc/nt/modules
# (the chain of a module the job loads itself in /etc/nt/mod/NAME).  The
# kernel is linux-image-<kver> with kver from guest-probe/scripts/kver.sh (the
# version the guest module is built for).  Cached in build/testbed/: rebuilt
# only when this script, init, guest-lib.sh or a package version changes.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
PROG=mkimage
die() { echo "$PROG: $*" >&2; exit 1; }
for t in cpio gzip depmod modprobe; do
	command -v "$t" >/dev/null || die "missing tool $t (Debian packages cpio, kmod)"
done

pack() { # DIR OUT: a newc cpio of DIR, gzip'ed
	(cd "$1" && find . | LC_ALL=C sort | cpio -o -H newc --quiet | gzip -1) >"$2.tmp.$$"
	mv "$2.tmp.$$" "$2"
}
if [ "${1:-}" = overlay ]; then
	[ $# -eq 3 ] && [ -d "$2" ] || die "usage: mkimage.sh overlay DIR OUT"
	pack "$2" "$3"
	exit 0
fi
# vmlinux: the kernel as the uncompressed ELF inside Debian's bzImage (cached):
# libxc then loads a domU's kernel without decompressing it; the xz payload
# costs about 20 s of emulated CPU in dom0 for every xl create.
if [ "${1:-}" = vmlinux ]; then
	kver=$("$top/guest-probe/scripts/kver.sh") || die "cannot tell the guest kernel version"
	kdir=$("$top/scripts/fetch-deb.sh" "linux-image-$kver" | tail -n1) || die "cannot fetch linux-image-$kver"
	bz=$kdir/boot/vmlinuz-$kver
	out=${NT_BUILD_TOP:-$top/build}/testbed/vmlinux-$kver
	if [ ! -f "$out" ] || [ "$out" -ot "$bz" ]; then
		command -v xz >/dev/null || die "missing tool xz (Debian package xz-utils)"
		off=$(LC_ALL=C grep -abo -m1 $'\xfd7zXZ\x00' "$bz" | head -n1 | cut -d: -f1 || true)
		[ -n "$off" ] || die "no xz payload in $bz"
		mkdir -p "$(dirname "$out")"
		# xz stops at the end of its stream; what follows in the bzImage makes it complain
		tail -c +$((off + 1)) "$bz" | xz -dc >"$out.tmp" 2>/dev/null || true
		[ "$(head -c 4 "$out.tmp" | od -An -tx1 | tr -d ' ')" = 7f454c46 ] || { rm -f "$out.tmp"; die "the payload of $bz is not an ELF"; }
		mv "$out.tmp" "$out"
	fi
	echo "$out"
	exit 0
fi
# copy_libs ROOT LIBPATH FILE...: the shared libraries FILE... need (ldd, with
# LIBPATH first), at their paths under ROOT; libraries found under this tree
# go to /lib/x86_64-linux-gnu.
copy_libs() {
	local root=$1 libpath=$2 b l dst
	shift 2
	for b in "$@"; do
		LD_LIBRARY_PATH=$libpath ldd "$b" 2>/dev/null |
			awk '/=> \// { print $3 } /^[[:space:]]*\/lib/ { print $1 }' || true
	done | sort -u | while read -r l; do
		[ -f "$l" ] || die "library $l not found"
		case "$l" in "$top"/*) dst=/lib/x86_64-linux-gnu/$(basename "$l") ;; *) dst=$l ;; esac
		mkdir -p "$root$(dirname "$dst")"
		cp -L "$l" "$root$dst"
	done
}

role=${1:-}
case "$role" in
extras) [ $# -ge 2 ] && [ -d "$2" ] || die "usage: mkimage.sh extras DIR [--mods \"M...\"] [BIN...]"
	xdir=$2 xmods=
	shift 2
	if [ "${1:-}" = --mods ]; then
		[ $# -ge 2 ] || die "--mods needs a list"
		xmods=$2
		shift 2
	fi
	for b in "$@"; do
		case "$b" in /*) ;; *) die "extras: '$b' is not an absolute path" ;; esac
		[ -x "$b" ] || die "extras: no program $b on this host"
	done
	xbins=("$@")
	pkgs=() ;;
dom0) mods="xenfs xen-evtchn xen-gntdev xen-gntalloc xen-privcmd xen-pciback xen-netback xen-blkback
	 e1000 virtio_pci 9pnet_virtio 9p loop"
      manual="e1000e" ;;
domu) mods="xen-pcifront xen-netfront"; manual="e1000e e1000" ;;
plain) mods="e1000 e1000e virtio_pci 9pnet_virtio 9p"; manual="" ;;
-h|--help) awk 'NR > 2 && /^#/ { sub(/^# ?/, ""); print; next } NR > 2 { exit }' "$0"; exit 0 ;;
*) echo "usage: mkimage.sh dom0|domu|plain|vmlinux  |  mkimage.sh overlay DIR OUT  |  mkimage.sh extras DIR ..." >&2; exit 2 ;;
esac

if [ "$role" = extras ]; then
	mkdir -p "$xdir/etc/nt/mod"
	if [ -n "$xmods" ]; then
		kver=$("$top/guest-probe/scripts/kver.sh") || die "cannot tell the guest kernel version"
		kdir=$("$top/scripts/fetch-deb.sh" "linux-image-$kver" | tail -n1) ||
			die "cannot fetch linux-image-$kver"
		[ -f "$kdir/lib/modules/$kver/modules.dep" ] || depmod -b "$kdir" "$kver"
	fi
	for m in $xmods; do
		: >"$xdir/etc/nt/mod/$m"
		modprobe -d "$kdir" -S "$kver" --show-depends "$m" | awk '$1 == "insmod" && !seen[$2]++ { print $2 }' |
			while read -r ko; do
				rel=${ko#"$kdir"}
				mkdir -p "$xdir$(dirname "$rel")"
				cp "$ko" "$xdir$rel"
				echo "$rel" >>"$xdir/etc/nt/mod/$m"
			done
		[ -s "$xdir/etc/nt/mod/$m" ] || die "module $m not found for $kver"
	done
	for b in "${xbins[@]}"; do
		mkdir -p "$xdir$(dirname "$b")"
		cp -L "$b" "$xdir$b"
	done
	[ ${#xbins[@]} -eq 0 ] || copy_libs "$xdir" "" "${xbins[@]}"
	exit 0
fi
kver=$("$top/guest-probe/scripts/kver.sh") || die "cannot tell the guest kernel version"
pkgs=("linux-image-$kver" busybox-static)
if [ "$role" = dom0 ]; then
	pkgs+=(xen-utils-4.17 xen-utils-common xenstore-utils libxenmisc4.17 libxenstore4 libxencall1
	       libxendevicemodel1 libxenevtchn1 libxenforeignmemory1 libxengnttab1 libxenhypfs1
	       libxentoolcore1 libxentoollog1 libyajl2)
fi
mapfile -t dirs < <("$top/scripts/fetch-deb.sh" "${pkgs[@]}") || die "cannot fetch ${pkgs[*]}"
[ ${#dirs[@]} -eq ${#pkgs[@]} ] || die "scripts/fetch-deb.sh failed"
kdir=${dirs[0]} bdir=${dirs[1]}
vmlinuz=$kdir/boot/vmlinuz-$kver
[ -f "$vmlinuz" ] || die "no kernel $vmlinuz"

out=${NT_BUILD_TOP:-$top/build}/testbed/$role.cpio.gz
key=$( { cat "$0" "$here/init" "$here/guest-lib.sh" "$here"/xen-scripts/*; echo "$role"; for d in "${dirs[@]}"; do cat "$d/.done"; done; } |
	sha256sum | cut -c1-16)
if [ -f "$out" ] && [ "$(cat "$out.key" 2>/dev/null)" = "$key" ]; then
	echo "$out"; echo "$vmlinuz"; exit 0
fi

root=$(mktemp -d "${TMPDIR:-/tmp}/nt-image.XXXXXX")
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc/nt,proc,sys,dev,tmp,run,mnt/host,lib64,root,var/log,var/run}
cp "$bdir/bin/busybox" "$root/bin/busybox"
install -m 755 "$here/init" "$root/init"
install -m 644 "$here/guest-lib.sh" "$root/etc/nt/lib.sh"
echo "$role" >"$root/etc/nt/role"
echo "$kver" >"$root/etc/nt/kernel-version"

if [ "$role" = dom0 ]; then
	udir=${dirs[2]} cdir=${dirs[3]} sdir=${dirs[4]}
	xbin=usr/lib/xen-4.17/bin
	mkdir -p "$root/$xbin" "$root/etc/xen" "$root"/var/{log/xen/console,lib/xen,lib/xenstored} \
		"$root"/run/{xen,xenstored}
	for t in xl xenstored xen-init-dom0 xenconsoled xentrace xenstore-control xenconsole lsevtchn; do
		cp "$udir/$xbin/$t" "$root/$xbin/$t"
	done
	for t in xenstore-read xenstore-write xenstore-ls xenstore-rm; do
		cp "$sdir/usr/bin/$t" "$root/usr/bin/$t"
	done
	cp "$cdir/etc/xen/xl.conf" "$root/etc/xen/" 2>/dev/null || true
	# libxl's hotplug scripts for phy: disks and vifs (testbed/xen-scripts/)
	mkdir -p "$root/etc/xen/scripts"
	install -m 755 "$here"/xen-scripts/* "$root/etc/xen/scripts/"
	# the shared libraries of the tools: the extracted libxen* first, then the host's
	libpath=
	for d in "${dirs[@]:5}"; do libpath=$libpath${libpath:+:}$d/usr/lib/x86_64-linux-gnu; done
	copy_libs "$root" "$libpath" "$root/$xbin"/* "$root"/usr/bin/*
	[ -f "$root/lib64/ld-linux-x86-64.so.2" ] || cp -L /lib64/ld-linux-x86-64.so.2 "$root/lib64/"
	# xl calls pthread_cancel, which dlopens libgcc_s
	cp -L /lib/x86_64-linux-gnu/libgcc_s.so.1 "$root/lib/x86_64-linux-gnu/"
fi

# Kernel modules with their dependencies, in load order (kmod's resolver on
# the unpacked tree; built-in modules need nothing).
[ -f "$kdir/lib/modules/$kver/modules.dep" ] || depmod -b "$kdir" "$kver"
resolve() {
	local m
	for m in "$@"; do
		modprobe -d "$kdir" -S "$kver" --show-depends "$m" | awk '$1 == "insmod" { print $2 }' ||
			die "module $m not found for $kver"
	done | awk '!seen[$0]++'
}
copy_mods() { # LIST_FILE MODULES...: copy, append the image paths to LIST_FILE
	local list=$1 ko rel
	shift
	resolve "$@" | while read -r ko; do
		rel=${ko#"$kdir"}
		mkdir -p "$root$(dirname "$rel")"
		cp "$ko" "$root$rel"
		echo "$rel" >>"$list"
	done
}
: >"$root/etc/nt/modules"
# shellcheck disable=SC2086
copy_mods "$root/etc/nt/modules" $mods
# modules the job loads itself: /etc/nt/mod/NAME = its chain (dependencies first)
mkdir -p "$root/etc/nt/mod"
for m in $manual; do copy_mods "$root/etc/nt/mod/$m" "$m"; done

mkdir -p "$(dirname "$out")"
pack "$root" "$out"
echo "$key" >"$out.key"
echo "$out"
echo "$vmlinuz"
