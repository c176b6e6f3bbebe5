#!/usr/bin/env bash
# mkinitramfs.sh [OUT.cpio.gz]: build the dom0 (and domU) initramfs of the
# emulated Xen testbed from Debian's own binaries, without installing them:
#   - linux-image-6.1 (the modules the testbed needs; the kernel is used as is),
#   - xen-utils-4.17 and the libxen* libraries (xl, xenstored, xentrace, ...),
#   - busybox-static, and the C libraries of this (Debian 12) host.
# The image runs hv-probe/testbed/init: it starts the Xen tools, mounts the 9p
# share "host" on /mnt/host and runs /mnt/host/job.sh (see README.md).
# Cached: rebuilt only when its inputs change.  Prints the image path and the
# kernel path (two lines).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=${1:-$top/build/xen/testbed/initrd.cpio.gz}
die() { echo "mkinitramfs: $*" >&2; exit 1; }
for t in cpio gzip depmod modprobe; do
	command -v "$t" >/dev/null || die "missing tool $t (install cpio, kmod)"
done

kpkg=${NT_XEN_KERNEL_PKG:-}
if [ -z "$kpkg" ]; then
	kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
		awk '/Depends: linux-image-6\.1/ { print $2; exit }')
	[ -n "$kpkg" ] || die "cannot resolve linux-image-amd64 (apt-get update?)"
fi
xenlibs="libxenmisc4.17 libxenstore4 libxencall1 libxendevicemodel1 libxenevtchn1
 libxenforeignmemory1 libxengnttab1 libxenhypfs1 libxentoolcore1 libxentoollog1 libyajl2"
mapfile -t dirs < <("$top/scripts/fetch-deb.sh" "$kpkg" xen-utils-4.17 xen-utils-common \
	busybox-static $xenlibs)
kdir=${dirs[0]} udir=${dirs[1]} cdir=${dirs[2]} bdir=${dirs[3]}
kver=$(ls "$kdir/lib/modules" | head -n1)
vmlinuz=$kdir/boot/vmlinuz-$kver
[ -f "$vmlinuz" ] || die "no kernel in $kdir"

# Cache key: this script, the init script and the package versions.
key=$( { cat "$0" "$here/init"; for d in "${dirs[@]}"; do cat "$d/.done"; done; } |
	sha256sum | cut -c1-16)
if [ -f "$out" ] && [ "$(cat "$out.key" 2>/dev/null)" = "$key" ]; then
	echo "$out"; echo "$vmlinuz"; exit 0
fi

root=$(mktemp -d "${TMPDIR:-/tmp}/nt-initrd.XXXXXX")
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,run,mnt/host,lib64,root} \
	"$root"/var/{run,log/xen/console,lib/xen,lib/xenstored} "$root/etc/nt"
cp "$bdir/bin/busybox" "$root/bin/busybox"
install -m 755 "$here/init" "$root/init"

# Xen tools and the shared libraries they need (resolved against the
# extracted libxen* packages first, then this host's libraries).
xbin=usr/lib/xen-4.17/bin
mkdir -p "$root/$xbin" "$root/etc/xen"
tools="xl xenstored xen-init-dom0 xenconsoled xentrace xenstore-control xenconsole lsevtchn"
for t in $tools; do
	cp "$udir/$xbin/$t" "$root/$xbin/$t"
done
cp "$cdir/etc/xen/xl.conf" "$root/etc/xen/" 2>/dev/null || true
libpath=
for d in "${dirs[@]:4}"; do libpath=$libpath${libpath:+:}$d/usr/lib/x86_64-linux-gnu; done
extra_bins=()
[ -n "${NT_INITRD_EXTRA:-}" ] && read -r -a extra_bins <<<"$NT_INITRD_EXTRA"
for e in "${extra_bins[@]}"; do
	[ -f "$e" ] || die "extra binary $e not found"
	cp "$e" "$root/usr/bin/"
done
copy_lib() { # copy a library and the symlink chain that names it
	local f=$1 dst
	case "$f" in
	"$top"/*) dst=/lib/x86_64-linux-gnu/$(basename "$f") ;;
	*) dst=$f ;;
	esac
	mkdir -p "$root$(dirname "$dst")"
	cp -L "$f" "$root$dst"
}
for b in "$root/$xbin"/* "$root"/usr/bin/*; do
	[ -f "$b" ] || continue
	LD_LIBRARY_PATH=$libpath ldd "$b" 2>/dev/null |
		awk '/=> \// { print $3 } /^\s*\/lib/ { print $1 }' || true
done | sort -u | while read -r l; do
	[ -f "$l" ] || die "library $l not found"
	copy_lib "$l"
done
[ -f "$root/lib64/ld-linux-x86-64.so.2" ] || cp -L /lib64/ld-linux-x86-64.so.2 "$root/lib64/"
# xl calls pthread_cancel, which dlopens libgcc_s.
cp -L /lib/x86_64-linux-gnu/libgcc_s.so.1 "$root/lib/x86_64-linux-gnu/"

# Kernel modules, in load order (resolved here with kmod's depmod/modprobe).
mods="xenfs xen-evtchn xen-gntdev xen-gntalloc xen-privcmd xen-pciback xen-netback
 xen-blkback xen-pcifront xen-netfront e1000e e1000 virtio_pci 9pnet_virtio 9p"
[ -f "$kdir/lib/modules/$kver/modules.dep" ] || depmod -b "$kdir" "$kver"
: >"$root/etc/nt/modules"
for m in $mods; do
	modprobe -d "$kdir" -S "$kver" --show-depends "$m" | awk '$1 == "insmod" { print $2 }'
done | awk '!seen[$0]++' | while read -r ko; do
	rel=${ko#"$kdir"}
	mkdir -p "$root$(dirname "$rel")"
	cp "$ko" "$root$rel"
	echo "$rel" >>"$root/etc/nt/modules"
done
echo "$kver" >"$root/etc/nt/kernel-version"

mkdir -p "$(dirname "$out")"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$out.tmp"
mv "$out.tmp" "$out"
echo "$key" >"$out.key"
echo "$out"
echo "$vmlinuz"
