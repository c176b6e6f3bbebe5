# SPDX-License-Identifier: GPL-2.0
# domu-stop.sh: keep the domU's console log and destroy it.
# In: NT_OUT; NT_DOMU_NAME (default eval).  Out: domu-console.txt.
. "${NT_LIB:-/etc/nt/lib.sh}"
name=${NT_DOMU_NAME:-eval}
mkdir -p "$NT_OUT" || exit 1
cp "/var/log/xen/console/guest-$name.log" "$NT_OUT/domu-console.txt" 2>/dev/null
xl list "$name" >/dev/null 2>&1 || exit 0
xl destroy "$name" || { echo "domu-stop: xl destroy $name failed" >&2; exit 1; }
exit 0
