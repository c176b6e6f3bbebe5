# SPDX-License-Identifier: GPL-2.0
# domu-stop.sh: keep the domU's console log; with NT_DOMU_DESTROY=1 also
# destroy the domU (not needed when the whole machine powers off next: xl
# destroy takes 10-15 s under emulation, releasing the passed-through device).
# In: NT_OUT; NT_DOMU_NAME (default eval); NT_DOMU_DESTROY.
# Out: domu-console.txt.
. "${NT_LIB:-/etc/nt/lib.sh}"
name=${NT_DOMU_NAME:-eval}
mkdir -p "$NT_OUT" || exit 1
cp "/var/log/xen/console/guest-$name.log" "$NT_OUT/domu-console.txt" 2>/dev/null
[ "${NT_DOMU_DESTROY:-0}" = 1 ] || exit 0
xl list "$name" >/dev/null 2>&1 || exit 0
xl destroy "$name" || { echo "domu-stop: xl destroy $name failed" >&2; exit 1; }
exit 0
