#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# build.sh OUTDIR: the guest kernel's xen-pcifront module with the fixes of
# the patches here, built from Debian's linux-source-6.1 of exactly the guest
# kernel's package version against its headers.  Prints OUTDIR/xen-pcifront.ko
# (cached).  The passthrough domU of the passthrough-cost experiment loads it
# instead of Debian's; nothing of the measured interrupt path changes.
#   0001  the time pcifront waits for pciback becomes the module parameter
#         op_timeout (default 2 s as upstream): under QEMU TCG pciback needs
#         about five seconds to enable MSI-X, and a request pcifront gives up
#         on leaves the device half set up (no MSI-X in the domU).  The
#         passthrough configuration raises it before it loads the drivers.
#   0002  MSI-X is disabled in pciback when the guest's MSI core asks to
#         disable MSI after MSI-X (an upstream bug of 6.1's PV teardown):
#         without it a passed-through NVMe never gets MSI-X (-EALREADY).
# docs/scenarios.md, "The passthrough-cost experiment", has the details.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../../.." && pwd)
out=${1:?usage: build.sh OUTDIR}
mkdir -p "$out" && out=$(cd "$out" && pwd)
die() { echo "pcifront: $*" >&2; exit 1; }
kver=$("$top/guest-probe/scripts/kver.sh" --installed) ||
	die "no kernel headers for the guest kernel $("$top/guest-probe/scripts/kver.sh" 2>/dev/null) (scripts/get-kernel.sh)"
kdir=/usr/src/linux-headers-$kver
pver=$(dpkg-query -W -f '${Version}' "linux-headers-$kver" 2>/dev/null) ||
	die "cannot tell the package version of linux-headers-$kver"
ko=$out/xen-pcifront.ko
stamp="$kver $pver $(cat "$here"/0*.patch | md5sum | cut -d' ' -f1)"
if [ -f "$ko" ] && [ "$(cat "$out/.built" 2>/dev/null)" = "$stamp" ]; then
	echo "$ko"
	exit 0
fi
src=$("$top/scripts/fetch-deb.sh" "linux-source-6.1=$pver" | tail -n 1) ||
	die "cannot fetch linux-source-6.1=$pver (the source of the guest kernel)"
tarball=$src/usr/src/linux-source-6.1.tar.xz
[ -f "$tarball" ] || die "no $tarball in linux-source-6.1=$pver"
rm -rf "$out"
mkdir -p "$out/a"
xz -dc "$tarball" | tar -x -C "$out/a" --strip-components=1 linux-source-6.1/drivers/pci/xen-pcifront.c ||
	die "no drivers/pci/xen-pcifront.c in $tarball"
for p in "$here"/0*.patch; do
	(cd "$out/a" && patch -p1 --quiet <"$p") || die "$(basename "$p") does not apply to linux-source-6.1=$pver"
done
cp "$out/a/drivers/pci/xen-pcifront.c" "$out/"
echo 'obj-m := xen-pcifront.o' >"$out/Kbuild"
make -s -C "$kdir" M="$out" modules >"$out/build.log" 2>&1 || { cat "$out/build.log" >&2; die "the build failed"; }
echo "$stamp" >"$out/.built"
echo "$ko"
