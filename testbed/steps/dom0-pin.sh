# SPDX-License-Identifier: GPL-2.0
# dom0-pin.sh: pin dom0's vCPUs before the measurement (the evaluation pCPU
# then belongs to the evaluation guest alone, in the variants that pin it).
# In: NT_OUT; NT_DOM0_CPUS (pCPUs for dom0's vCPUs, e.g. 0; empty: no pin).
# Out: dom0-pin.txt (dom0_cpus), xl-vcpu-list.txt (every domain's vCPUs after).
. "${NT_LIB:-/etc/nt/lib.sh}"
mkdir -p "$NT_OUT" || exit 1
if [ -n "${NT_DOM0_CPUS:-}" ]; then
	xl vcpu-pin 0 all "$NT_DOM0_CPUS" || { echo "dom0-pin: xl vcpu-pin 0 all $NT_DOM0_CPUS failed" >&2; exit 1; }
fi
echo "dom0_cpus=${NT_DOM0_CPUS:-any}" >"$NT_OUT/dom0-pin.txt"
xl vcpu-list >"$NT_OUT/xl-vcpu-list.txt" 2>&1
exit 0
