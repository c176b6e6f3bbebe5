# SPDX-License-Identifier: GPL-2.0
# counters.sh: the load NIC's receive counters and its interrupt count,
# with the time they were read: two of these bracket the measurement, and
# their difference is the load the NIC actually received.
# In: NT_OUT; NT_TAG (before, after); NT_LOAD_IF, NT_LOAD_IRQ (Linux IRQ of the
# load NIC here).
# Out: counters-TAG.txt (key=value).
. "${NT_LIB:-/etc/nt/lib.sh}"
mkdir -p "$NT_OUT" || exit 1
st=/sys/class/net/$NT_LOAD_IF/statistics
[ -d "$st" ] || { echo "counters: no interface '$NT_LOAD_IF'" >&2; exit 1; }
{
	echo "uptime_s=$(nt_uptime)"
	for k in rx_packets rx_bytes rx_dropped rx_missed_errors rx_fifo_errors rx_errors rx_over_errors; do
		echo "$k=$(cat "$st/$k" 2>/dev/null)"
	done
	echo "irq=$NT_LOAD_IRQ"
	echo "irq_count=$(awk -v irq="$NT_LOAD_IRQ:" '$1 == irq { n = 0; for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) n += $i; print n }' /proc/interrupts)"
	echo "irq_line=$(awk -v irq="$NT_LOAD_IRQ:" '$1 == irq' /proc/interrupts)"
} >"$NT_OUT/counters-$NT_TAG.txt"
exit 0
