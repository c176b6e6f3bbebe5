#!/usr/bin/env bash
# get-kernel.sh [--headers-only]: make the guest kernel available, headers and
# image of the same version (scripts/kver.sh picks it):
#   - installs linux-headers-<kver> with apt-get when missing (needs root);
#   - downloads and unpacks linux-image-<kver> with scripts/fetch-deb.sh
#     (build/debs/linux-image-<kver>/, not installed on the host), unless
#     --headers-only.
# Prints "KVER IMAGE_DIR" (or "KVER").  Exit 1 when something cannot be obtained.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
headers_only=0
[ "${1:-}" = --headers-only ] && headers_only=1
kver=$("$here/kver.sh")
if [ ! -f "/usr/src/linux-headers-$kver/Makefile" ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "get-kernel: headers for $kver missing; run as root or: apt-get install linux-headers-$kver" >&2
		exit 1
	fi
	echo "get-kernel: installing linux-headers-$kver" >&2
	export DEBIAN_FRONTEND=noninteractive
	if ! apt-get install -y -q --no-install-recommends "linux-headers-$kver" >&2; then
		# stale package lists: refresh, and take the version they name now
		apt-get update -q >&2
		kver=$("$here/kver.sh")
		apt-get install -y -q --no-install-recommends "linux-headers-$kver" >&2
	fi
fi
if [ $headers_only = 1 ]; then
	echo "$kver"
	exit 0
fi
img=$("$top/scripts/fetch-deb.sh" "linux-image-$kver" | tail -n1)
[ -f "$img/boot/vmlinuz-$kver" ] || { echo "get-kernel: no vmlinuz-$kver in $img" >&2; exit 1; }
echo "$kver $img"
