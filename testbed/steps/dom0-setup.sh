# SPDX-License-Identifier: GPL-2.0
# dom0-setup.sh: dom0's part of a variant before the domU starts (dom0's
# pinning comes later, dom0-pin.sh: while the guest boots, dom0 answers its
# PCI frontend faster with every pCPU).
# In: NT_OUT; NT_LOAD_MAC, NT_LOAD_IP (ADDR/LEN): the load NIC dom0 owns
#     (empty: none); NT_EVAL_BDF: the evaluation NIC to pass through (empty:
#     none).
# Out: dom0-setup.txt (load_if, load_irq, load_bdf, load_mac, load_driver,
#      eval_bdf).
. "${NT_LIB:-/etc/nt/lib.sh}"
mkdir -p "$NT_OUT" || exit 1
fail() { echo "dom0-setup: $*" >&2; exit 1; }
out=$NT_OUT/dom0-setup.txt
: >"$out"
if [ -n "${NT_LOAD_MAC:-}" ]; then
	ifc=$(nt_iface_of_mac "$NT_LOAD_MAC") || fail "no NIC with MAC $NT_LOAD_MAC in dom0 (load NIC missing?)"
	ip addr add "$NT_LOAD_IP" dev "$ifc" 2>/dev/null
	ip link set "$ifc" up || fail "cannot bring $ifc up"
	i=0
	while [ "$(cat "/sys/class/net/$ifc/carrier" 2>/dev/null)" != 1 ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ "$(cat "/sys/class/net/$ifc/carrier" 2>/dev/null)" = 1 ] || fail "$ifc has no carrier after 10 s"
	bdf=$(basename "$(readlink "/sys/class/net/$ifc/device")")
	{
		echo "load_if=$ifc"
		echo "load_mac=$NT_LOAD_MAC"
		echo "load_bdf=$bdf"
		echo "load_irq=$(cat "/sys/class/net/$ifc/device/irq")"
		echo "load_driver=$(basename "$(readlink "/sys/class/net/$ifc/device/driver")")"
	} >>"$out"
fi
if [ -n "${NT_EVAL_BDF:-}" ]; then
	[ -e "/sys/bus/pci/devices/$NT_EVAL_BDF" ] || fail "no PCI device $NT_EVAL_BDF (evaluation NIC missing?)"
	xl pci-assignable-add "$NT_EVAL_BDF" || fail "xl pci-assignable-add $NT_EVAL_BDF failed"
	xl pci-assignable-list | grep -q "$NT_EVAL_BDF" || fail "$NT_EVAL_BDF is not assignable"
	echo "eval_bdf=$NT_EVAL_BDF" >>"$out"
fi
exit 0
