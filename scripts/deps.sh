#!/usr/bin/env bash
# Install the Debian packages the build and the tests need (when root), or print
# the exact command (when not).  Each component lists its own packages in
# <component>/deps.txt (one package per line, '#' comments); this file adds the
# common ones.  Set NT_NO_DEPS=1 to skip the check.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
[ "${NT_NO_DEPS:-0}" = 1 ] && exit 0

pkgs=(build-essential pkg-config clang libclang-rt-14-dev iproute2 procps kmod)
for f in "$top"/*/deps.txt; do
	[ -f "$f" ] || continue
	while read -r p _; do
		case "$p" in ''|'#'*) continue ;; esac
		pkgs+=("$p")
	done <"$f"
done

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing Debian packages: ${missing[*]}" >&2
	echo "deps: install them with:  sudo apt-get install -y ${missing[*]}" >&2
	exit 1
fi
echo "deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
stamp=/var/lib/apt/periodic/update-success-stamp
if [ ! -d /var/lib/apt/lists ] || [ -z "$(ls /var/lib/apt/lists 2>/dev/null | grep -v -e lock -e partial)" ] ||
   [ -n "$(find /var/lib/apt/lists -maxdepth 0 -mmin +360 2>/dev/null)" ]; then
	apt-get update -q >&2
fi
apt-get install -y -q --no-install-recommends "${missing[@]}" >&2 || {
	apt-get update -q >&2
	apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
}
