# SPDX-License-Identifier: GPL-2.0
# guest-nic.sh: bring the evaluation NIC up in the guest and find its IRQ.
# In: NT_OUT; NT_NIC_MAC; NT_NIC_IP (ADDR/LEN); NT_IRQ_MODE: intx (legacy
#     INTx, the line it shares with the load NIC) or msix.  e1000e is loaded
#     with IntMode=0 (INTx) or 2 (MSI-X) and InterruptThrottleRate=0: one
#     interrupt per packet, no moderation delay before the interrupt.
# Out: guest-nic.txt (iface, irq, irq_name, irq_mode, module parameters),
#      guest-interrupts-nic.txt.
. "${NT_LIB:-/etc/nt/lib.sh}"
mkdir -p "$NT_OUT" || exit 1
fail() { echo "guest-nic: $*" >&2; exit 1; }
case "${NT_IRQ_MODE:-}" in
intx) im=0 ;;
msix) im=2 ;;
*) fail "NT_IRQ_MODE must be intx or msix (got '${NT_IRQ_MODE:-}')" ;;
esac
# up NAME: load e1000e, bring the NIC up; sets ifc, name (its interrupt's name), irq
up() {
	nt_modload e1000e IntMode=$im InterruptThrottleRate=0 || fail "cannot load e1000e"
	i=0
	while ! ifc=$(nt_iface_of_mac "$NT_NIC_MAC") && [ $i -lt 50 ]; do sleep 0.2; i=$((i + 1)); done
	[ -n "$ifc" ] || fail "no NIC with MAC $NT_NIC_MAC (was the device passed through?)"
	ip addr add "$NT_NIC_IP" dev "$ifc" 2>/dev/null
	ip link set "$ifc" up || fail "cannot bring $ifc up"
	i=0
	while [ "$(cat "/sys/class/net/$ifc/carrier" 2>/dev/null)" != 1 ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done
	[ "$(cat "/sys/class/net/$ifc/carrier" 2>/dev/null)" = 1 ] || fail "$ifc has no carrier after 20 s"
	name=$ifc
	[ "$NT_IRQ_MODE" = msix ] && name=$ifc-rx-0
	irq=$(awk -v n="$name" '$NF == n { sub(/:$/, "", $1); print $1; exit }' /proc/interrupts)
}
# Under emulation the PCI frontend sometimes gives up on dom0's backend (its
# 2 s timeout: "pciback not responding") while the driver enables MSI-X, and
# e1000e falls back to MSI: the driver is loaded again, three tries in all.
tries=0
while :; do
	tries=$((tries + 1))
	up
	[ -n "$irq" ] && break
	dmesg | grep -q "pciback not responding\|Falling back" && nt_log "$name not there (the frontend timed out): try $tries"
	[ $tries -lt 3 ] || fail "no interrupt named $name in /proc/interrupts after $tries tries ($(dmesg | grep -c 'pciback not responding') frontend timeouts)"
	ip link set "$ifc" down 2>/dev/null
	rmmod e1000e || fail "cannot unload e1000e to try again"
	sleep 1
done
{
	echo "iface=$ifc"
	echo "irq=$irq"
	echo "irq_name=$name"
	echo "irq_mode=$NT_IRQ_MODE"
	echo "driver_loads=$tries"
	echo "pcifront_timeouts=$(dmesg | grep -c 'pciback not responding')"
	echo "irq_line=$(awk -v n="$name" '$NF == n' /proc/interrupts)"
	echo "e1000e_params=IntMode=$im InterruptThrottleRate=0"
	echo "kernel=$(uname -r)"
	echo "clocksource=$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource 2>/dev/null)"
} >"$NT_OUT/guest-nic.txt"
cat /proc/interrupts >"$NT_OUT/guest-interrupts-nic.txt"
exit 0
