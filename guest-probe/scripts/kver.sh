#!/usr/bin/env bash
# kver.sh: print the guest kernel version the module is built for and the
# QEMU test boots (e.g. 6.1.0-56-amd64), so that headers and image match.
#   1. $NT_GUEST_KVER when set;
#   2. the version linux-headers-amd64 (Debian's metapackage) depends on, when
#      apt knows it (the current 6.1.0-NN);
#   3. else the newest /usr/src/linux-headers-6.1.0-*-amd64 installed.
# Options: --installed  print it only if its headers are installed (exit 1 if not).
set -euo pipefail
want_installed=0
[ "${1:-}" = --installed ] && want_installed=1
v=${NT_GUEST_KVER:-}
if [ -z "$v" ]; then
	v=$(apt-cache depends linux-headers-amd64 2>/dev/null |
	    sed -n 's/^ *Depends: linux-headers-\(6\.1\.0-[0-9]*-amd64\)$/\1/p' | head -n1 || true)
fi
if [ -z "$v" ]; then
	v=$(ls -d /usr/src/linux-headers-6.1.0-*-amd64 2>/dev/null | sed 's|.*/linux-headers-||' |
	    sort -V | tail -n1 || true)
fi
[ -n "$v" ] || { echo "kver: cannot tell the guest kernel version (no apt data, no headers)" >&2; exit 1; }
if [ $want_installed = 1 ] && [ ! -f "/usr/src/linux-headers-$v/Makefile" ]; then
	exit 1
fi
echo "$v"
