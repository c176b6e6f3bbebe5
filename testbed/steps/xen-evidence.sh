# SPDX-License-Identifier: GPL-2.0
# xen-evidence.sh: Xen's own view of the interrupt bindings: `xl
# debug-keys i` (every IRQ with its vector, type, affinity and the domains
# bound to it) lands in Xen's console ring, then `xl dmesg`; and dom0's
# /proc/interrupts.
# In: NT_OUT; NT_TAG (before, after).  Out: xl-dmesg-TAG.txt, xen-irqs-TAG.txt (the debug-keys dump),
# dom0-interrupts-TAG.txt.
. "${NT_LIB:-/etc/nt/lib.sh}"
mkdir -p "$NT_OUT" || exit 1
xl debug-keys i || { echo "xen-evidence: xl debug-keys i failed" >&2; exit 1; }
sleep 0.5
xl dmesg >"$NT_OUT/xl-dmesg-$NT_TAG.txt" 2>&1
# the last dump: from its header to the end of the ring
awk '/IRQ information:/ { n = 0 } { l[n++] = $0 } END { for (i = 0; i < n; i++) print l[i] }' \
	"$NT_OUT/xl-dmesg-$NT_TAG.txt" >"$NT_OUT/xen-irqs-$NT_TAG.txt"
grep -q "IRQ information" "$NT_OUT/xen-irqs-$NT_TAG.txt" ||
	{ echo "xen-evidence: no IRQ dump in xl dmesg" >&2; exit 1; }
cat /proc/interrupts >"$NT_OUT/dom0-interrupts-$NT_TAG.txt"
exit 0
