#!/usr/bin/env bash
# fetch-deb.sh PKG[=VERSION]... : download Debian binary packages without
# installing them and unpack each into build/debs/<pkg>/ (cached; safe to run
# again).  Prints the unpack directory of each package, one per line.
# Used for the guest kernel, busybox and the Xen hypervisor/tools that the QEMU
# testbeds boot.  Needs network access to Debian's archive (apt-get download).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cache=${NT_DEB_CACHE:-$top/build/debs}
mkdir -p "$cache/archives"
[ $# -gt 0 ] || { echo "usage: $0 PKG[=VERSION]..." >&2; exit 2; }
for spec in "$@"; do
	pkg=${spec%%=*}
	dir=$cache/$pkg
	if [ ! -f "$dir/.done" ]; then
		rm -rf "$dir"; mkdir -p "$dir"
		( cd "$cache/archives" &&
		  { apt-get download -q "$spec" >/dev/null 2>&1 ||
		    { apt-get update -q >/dev/null 2>&1 || true; apt-get download -q "$spec" >/dev/null; }; } ) ||
			{ echo "fetch-deb: cannot download $spec (apt-get download failed)" >&2; exit 1; }
		deb=$(ls -t "$cache/archives/${pkg}_"*.deb | head -n1)
		dpkg-deb -x "$deb" "$dir"
		basename "$deb" >"$dir/.done"
	fi
	echo "$dir"
done
